import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../../engine.js";
import { buildApp } from "../app.js";
import { dashboardDir } from "./dashboard.js";

describe("the dashboard at /", () => {
  let engine: Engine;
  let app: ReturnType<typeof buildApp>;
  beforeAll(async () => {
    engine = await Engine.open({ store: ":memory:" });
    app = buildApp(engine);
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await engine?.close();
  });

  it("serves the built page and its assets, or says how to build it", async () => {
    const page = await app.inject({ url: "/" });
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    if (!dashboardDir()) {
      expect(page.statusCode).toBe(503);
      expect(page.body).toContain("npm run build:web");
      return;
    }
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<div id="app">');
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    expect(script, page.body).toBeDefined();
    const asset = await app.inject({ url: `/${script}` });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers["content-type"]).toMatch(/javascript/);
  });

  it("leaves unknown paths to the API's JSON 404", async () => {
    const res = await app.inject({ url: "/no/such/page" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: "not-found", message: "no route GET /no/such/page" });
  });
});
