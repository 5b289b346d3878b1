import { useState } from "preact/hooks";
import { href } from "../router.js";
import { html } from "../ui.js";

/** The "user id" box of the pages about one listener: submitting it follows #/<page>/<user>. */
export function UserForm({ page, user }: { page: string; user?: string }) {
  const [typed, setTyped] = useState(user ?? "");
  const go = (e: Event) => {
    e.preventDefault();
    if (typed.trim()) location.hash = href(page, typed.trim());
  };
  return html`<form class="inline" onSubmit=${go}>
    <label>user id <input name="user" value=${typed} onInput=${(e: Event) => setTyped((e.target as HTMLInputElement).value)} /></label>
    <button type="submit">Show</button>
  </form>`;
}
