export { type PrincipalPlane, principalPlane } from "./principal-plane.js";
