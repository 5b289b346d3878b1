import { render } from "preact";
import { useState } from "preact/hooks";
import { apiKey, setApiKey } from "./api.js";
import { AskPage } from "./pages/ask.js";
import { DecisionsPage } from "./pages/decisions.js";
import { HomePage } from "./pages/home.js";
import { LearningPage } from "./pages/learning.js";
import { ListenerPage } from "./pages/listener.js";
import { ModelPage } from "./pages/model.js";
import { NextPage } from "./pages/next.js";
import { OverviewPage } from "./pages/overview.js";
import { PrivacyPage } from "./pages/privacy.js";
import { ServingPage } from "./pages/serving.js";
import { TastePage } from "./pages/taste.js";
import { href, useRoute } from "./router.js";
import { html } from "./ui.js";
import "./styles.css";

const pages = [
  { id: "overview", title: "Overview" },
  { id: "listener", title: "Listener" },
  { id: "ask", title: "Ask it" },
  { id: "taste", title: "Taste and playlists" },
  { id: "next", title: "What follows" },
  { id: "home", title: "Home shelves" },
  { id: "model", title: "Model and evidence" },
  { id: "learning", title: "Self-learning" },
  { id: "privacy", title: "Privacy" },
  { id: "decisions", title: "Favourites and decisions" },
  { id: "serving", title: "Serving" },
];

function KeyField() {
  const [key, setKey] = useState(apiKey());
  return html`<label class="key">API key (for writes)
    <input type="password" autocomplete="off" value=${key} onInput=${(e: Event) => {
      const v = (e.target as HTMLInputElement).value;
      setKey(v);
      setApiKey(v);
    }} /></label>`;
}

function App() {
  const route = useRoute();
  const page = (() => {
    switch (route.page) {
      case "listener":
        return html`<${ListenerPage} user=${route.params[0]} />`;
      case "ask":
        return html`<${AskPage} user=${route.params[0]} />`;
      case "taste":
        return html`<${TastePage} user=${route.params[0]} />`;
      case "next":
        return html`<${NextPage} item=${route.params[0]} />`;
      case "home":
        return html`<${HomePage} />`;
      case "model":
        return html`<${ModelPage} />`;
      case "decisions":
        return html`<${DecisionsPage} />`;
      case "privacy":
        return html`<${PrivacyPage} />`;
      case "learning":
        return html`<${LearningPage} />`;
      case "serving":
        return html`<${ServingPage} />`;
      default:
        return html`<${OverviewPage} />`;
    }
  })();
  const current = pages.some((p) => p.id === route.page) ? route.page : "overview";
  return html`<header>
      <a class="brand" href=${href("overview")}>tastebud</a>
      <nav aria-label="pages"><ul>
        ${pages.map((p) => html`<li><a href=${href(p.id)} aria-current=${p.id === current ? "page" : undefined}>${p.title}</a></li>`)}
      </ul></nav>
      <${KeyField} />
    </header>
    <main id="main" key=${current}>${page}</main>
    <footer>The dashboard reads the same HTTP API anyone can: <a href="/docs">/docs</a>.</footer>`;
}

const root = document.getElementById("app");
if (root) {
  root.replaceChildren();
  render(html`<${App} />`, root);
}
