import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core against `tastebud serve` on a
 * store made by `tastebud demo`. Every page must load with no console error, show
 * the API's own numbers, and answer a click. Screenshots go to e2e-screenshots/ (git-ignored); with
 * TASTEBUD_DOCS_SCREENSHOTS=1 copies also go to docs/ for the README.
 */

const chromiumPath = process.env.TASTEBUD_CHROMIUM ?? "/usr/bin/chromium";
const repo = resolve(import.meta.dirname, "../..");
const cli = join(repo, "dist/cli/main.js");
const shots = join(repo, "e2e-screenshots");
const KEY = "e2e-key";
// Flags for a machine without a network: no background connections, no first-run work, a throwaway profile
// (playwright makes a fresh user-data-dir per launch).
const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A text for a RegExp that matches it literally. */
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const haveChromium = existsSync(chromiumPath);
const haveBuild = existsSync(cli) && existsSync(join(repo, "dist/web/index.html"));
if (!haveChromium)
  console.warn(`dashboard e2e skipped: no chromium at ${chromiumPath} (apt-get install -y chromium)`);
else if (!haveBuild) console.warn("dashboard e2e skipped: dist/ is not built (npm run build)");

describe.skipIf(!haveChromium || !haveBuild)("dashboard in headless chromium", () => {
  let dir: string;
  let server: ChildProcess;
  let base: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  /** Runs the CLI; the set-up's time per command goes to the log (it dominates this file's time). */
  const tastebud = (...args: string[]) => {
    const started = Date.now();
    const out = execFileSync(process.execPath, [cli, ...args], { cwd: dir, encoding: "utf8" });
    console.log(
      `set-up: tastebud ${args.slice(0, 2).join(" ")} took ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    return out;
  };
  /** The same, in the background: for set-up steps that need no store of their own until they record. */
  const tastebudLater = (...args: string[]) =>
    new Promise<void>((ok, fail) => {
      const started = Date.now();
      execFile(process.execPath, [cli, ...args], { cwd: dir }, (err) => {
        if (err) return fail(err);
        console.log(
          `set-up (beside the others): tastebud ${args.slice(0, 2).join(" ")} done after ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
        ok();
      });
    });
  const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(`${base}${path}`, init);
    expect(res.ok, `${path}: ${res.status}`).toBe(true);
    return (await res.json()) as T;
  };
  const shoot = async (name: string) => {
    const path = join(shots, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    if (process.env.TASTEBUD_DOCS_SCREENSHOTS === "1")
      copyFileSync(path, join(repo, "docs", `dashboard-${name}.png`));
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tastebud-e2e-"));
    const store = join(dir, "demo.duckdb");
    // What privacy costs needs only the shipped embedding table, so it runs beside the demo on a scratch
    // store of its own (the table's neighbourhood cache is written atomically, per process); its record is
    // then copied to where the served store keeps evaluations (<store>.models/evaluations, as the README says).
    const privacyStore = join(dir, "privacy-eval.duckdb");
    const intents = [
      ["PlayMusic", (k: number) => `play the song ${["hello", "river", "home", "night"][k % 4]} by the band`],
      [
        "GetWeather",
        (k: number) => `what is the weather in ${["paris", "london", "boston", "denver"][k % 4]} today`,
      ],
      [
        "AddToPlaylist",
        (k: number) => `add this track to my ${["summer", "party", "road", "morning"][k % 4]} playlist`,
      ],
    ] as const;
    const texts = Array.from({ length: 60 }, (_, k) => {
      const [intent, text] = intents[k % 3];
      return JSON.stringify({ text: text(Math.floor(k / 3)), intent });
    });
    writeFileSync(join(dir, "intents.jsonl"), `${texts.join("\n")}\n`);
    // What privacy costs: intent accuracy on perturbed text, on a small generated set of requests in three
    // intents (one seed, one ε per mechanism and the matched Laplace ε).
    const privacyEvidence = tastebudLater(
      ...["privacy", "eval", "--texts", "intents.jsonl", "--laplace", "10", "--gumbel", "70"],
      ...["--seeds", "1", "--epochs", "30", "--store", privacyStore, "--json"],
    );
    // The demo's own store (a listening world, its evaluation and model, a voice assistant's request log with
    // its rewrite table, and the directed "what follows" model), smaller than the README's: the pages must not
    // be empty after `npm run demo`.
    tastebud(
      "demo",
      "--users",
      "150",
      "--items",
      "500",
      "--days",
      "10",
      "--seed",
      "3",
      "--store",
      store,
      "--out",
      "world",
    );
    // The demo's last step ran eval --delayed, eval --resolve-decision, bandit simulate --env world and
    // privacy stats at small sizes for the Favourites, Home and Privacy pages. An off-policy estimate on a
    // small log in the Open Bandit format for the Home page (uniform logging over 6 items in 2 slots; item 4
    // clicks best):
    const lines = ["timestamp,item_id,position,click,propensity_score,user_feature_0"];
    for (let i = 0; i < 900; i++) {
      const item = (i * 7) % 6;
      const click = (i * 13) % (item === 4 ? 9 : 31) === 0 ? 1 : 0;
      lines.push(
        `2019-11-24 00:00:${String(i % 60).padStart(2, "0")},${item},${1 + (i % 2)},${click},${1 / 6},u${i % 3}`,
      );
    }
    writeFileSync(join(dir, "small-log.csv"), `${lines.join("\n")}\n`);
    tastebud(
      ...["bandit", "ope", "--log", "small-log.csv", "--policy", "uniform", "--observed", "small-log.csv"],
      ...["--refits", "3", "--resamples", "50", "--store", store, "--json"],
    );
    // Playlists and Blends against their baselines on held-out plays, kept for the Taste page.
    tastebud("eval", "--playlists", "--store", store, "--json");
    await privacyEvidence;
    const evaluations = (storePath: string) => join(`${storePath}.models`, "evaluations");
    for (const file of readdirSync(evaluations(privacyStore)).filter((f) => f.endsWith(".json")))
      copyFileSync(join(evaluations(privacyStore), file), join(evaluations(store), file));
    // Privacy mode: request text posted over HTTP is perturbed and charged to its user's ledger.
    const privacy = "epsilon=10,mechanism=laplace,cap=60,seed=1";
    server = spawn(
      process.execPath,
      [cli, "serve", "--store", store, "--port", "0", "--api-key", KEY, "--privacy", privacy],
      {
        cwd: dir,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    mkdirSync(shots, { recursive: true });
    rmSync(join(shots, "server.log"), { force: true });
    base = await new Promise<string>((ok, fail) => {
      let out = "";
      server.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        // The server's log, kept beside the screenshots: where a failed request says why.
        appendFileSync(join(shots, "server.log"), chunk);
        const url = /"url":"(http:[^"]+)"/.exec(out)?.[1];
        if (url) ok(url);
      });
      server.on("exit", (code) => fail(new Error(`serve exited with ${code}: ${out}`)));
    });
    mkdirSync(shots, { recursive: true });
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  });

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((done) => server.once("exit", done));
      server.kill("SIGTERM");
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("overview: shows the store's counts and the serving model as the API gives them", async () => {
    const started = Date.now();
    await page.goto(`${base}/`);
    await page.locator('[data-stat="plays"]').waitFor();
    console.log(`overview useful after ${Date.now() - started} ms (loopback, demo store)`);
    const o = await api<{
      store: { plays: number; requests: number; users: number };
      model: { version: string };
    }>("/v1/overview");
    const stat = (id: string) => page.locator(`[data-stat="${id}"]`).innerText();
    expect(await stat("plays")).toBe(o.store.plays.toLocaleString("en-US"));
    expect(await stat("requests")).toBe(o.store.requests.toLocaleString("en-US"));
    expect(await stat("users")).toBe(o.store.users.toLocaleString("en-US"));
    expect(await page.locator('[data-fact="model-version"]').innerText()).toBe(o.model.version);
    // The chart has a text alternative with the same figures.
    await expect(page.getByRole("img", { name: /Events stored per day/ }).count()).resolves.toBe(1);
    await shoot("overview");
    expect(problems).toEqual([]);
  });

  it("listener: a click from the overview opens a listener with the API's recommendations, and explains one", async () => {
    await page.goto(`${base}/`);
    const first = page.locator("table a").first();
    const user = await first.innerText();
    await first.click();
    await page.waitForURL(`**/#/listener/${user}`);
    const recs = await api<{ items: Array<{ title: string }> }>(`/v1/users/${user}/recommendations?n=10`);
    const titles = page.getByRole("button", { name: recs.items[0].title }).first();
    await titles.waitFor();
    const shown = await page.locator("table").first().locator("tbody tr td:first-child").allInnerTexts();
    expect(shown).toEqual(recs.items.map((i) => i.title));
    await titles.click();
    await page.getByRole("heading", { name: /^Why / }).waitFor();
    const similar = await api<{ users: Array<{ user: string }> }>(`/v1/users/${user}/similar?n=8`);
    await page.getByRole("link", { name: similar.users[0].user, exact: true }).waitFor();
    const history = await api<{ plays: unknown[] }>(`/v1/users/${user}/history?limit=100`);
    await page.getByRole("img", { name: new RegExp(`Latest ${history.plays.length} plays`) }).waitFor();
    await shoot("listener");
    expect(problems).toEqual([]);
  });

  it("listener: teaching a preference needs the key, then shows it and forgets it", async () => {
    const user = "u0001";
    await page.goto(`${base}/#/listener/${user}`);
    const teach = page.getByLabel("teach");
    await teach.fill("I don't like country");
    await page.getByRole("button", { name: "Add" }).click();
    await page
      .getByRole("alert")
      .filter({ hasText: /Authorization|key/i })
      .waitFor();
    await page.getByLabel("API key (for writes)").fill(KEY);
    await page.getByRole("button", { name: "Add" }).click();
    const forget = page.getByRole("button", { name: /^forget: / });
    await forget.waitFor();
    const taught = await api<{ preferences: unknown[] }>(`/v1/users/${user}/preferences`);
    expect(taught.preferences).toHaveLength(1);
    await forget.click();
    await page.getByText("None taught.").waitFor();
    expect((await api<{ preferences: unknown[] }>(`/v1/users/${user}/preferences`)).preferences).toEqual([]);
    await page.getByLabel("API key (for writes)").fill("");
    expect(problems.filter((p) => !p.includes("401"))).toEqual([]);
    problems.length = 0; // the refused write above logs its 401 on purpose
  });

  it("ask it: 'play hello' shows the ranking the API gives, with a decision", async () => {
    await page.goto(`${base}/#/ask`);
    await page.getByLabel("request").fill("play hello");
    await page.getByLabel("user").fill("u0001");
    await page.getByLabel("device").selectOption("speaker");
    await page.getByRole("button", { name: "Resolve" }).click();
    await page.locator("[data-decision]").waitFor();
    const answer = await api<{ candidates: Array<{ title: string }> }>("/v1/resolve", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        user: "u0001",
        request: "play hello",
        context: { deviceType: "speaker", hasScreen: false },
        limit: 10,
      }),
    });
    expect(answer.candidates.length).toBeGreaterThan(0);
    expect(answer.candidates[0].title).toMatch(/hello/i);
    expect(await page.locator("[data-candidate]").allInnerTexts()).toEqual(
      answer.candidates.map((c) => c.title),
    );
    await shoot("ask");
    expect(problems).toEqual([]);
  });

  it("taste and playlists: the profile, a playlist, creators alike, a Blend, a pool and the evidence, as the API gives them", async () => {
    const user = "u0002";
    const taste = await api<{
      liked: number;
      topCreators: Array<{ name: string }>;
      topTags: Array<{ name: string }>;
    }>(`/v1/users/${user}/taste`);
    // An editor's pool of the listener's two top tags, with a quota rule, stored over HTTP (needs the key).
    const [tag, other] = taste.topTags.map((t) => t.name);
    await api("/v1/pools/e2e-pool", {
      method: "PUT",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
      body: JSON.stringify({
        tags: [tag, other],
        rules: { length: 12, atLeast: [{ count: 3, tag: other }] },
      }),
    });
    await page.goto(`${base}/#/taste/${user}`);
    await page.locator('[data-stat="taste-liked"]').waitFor();
    expect(await page.locator('[data-stat="taste-liked"]').innerText()).toBe(
      taste.liked.toLocaleString("en-US"),
    );
    await page
      .getByRole("img", { name: new RegExp(`Top creators \\(${escape(taste.topCreators[0].name)}`) })
      .waitFor();
    const mix = await api<{ tracks: Array<{ title: string }> }>(
      `/v1/users/${user}/playlist?kind=mix&length=20`,
    );
    await page.locator("[data-track]").first().waitFor();
    expect(await page.locator("[data-track]").allInnerTexts()).toEqual(mix.tracks.map((t) => t.title));
    const relevance = page.getByRole("img", { name: /Predicted relevance of each of the 20 tracks/ });
    expect(await relevance.locator("rect").count()).toBeGreaterThanOrEqual(mix.tracks.length);
    await page.getByLabel("kind").selectOption("discover");
    const discover = await api<{ tracks: Array<{ title: string }> }>(
      `/v1/users/${user}/playlist?kind=discover&length=20`,
    );
    await expect
      .poll(() => page.locator("[data-track]").allInnerTexts())
      .toEqual(discover.tracks.map((t) => t.title));
    const alike = await api<{ creators: Array<{ creator: string }> }>(
      `/v1/creators/${encodeURIComponent(taste.topCreators[0].name)}/similar?n=8`,
    );
    await page
      .getByRole("img", {
        name: new RegExp(
          `by the taste space \\(cosine of creator vectors\\): ${escape(alike.creators[0].creator)}`,
        ),
      })
      .waitFor();
    const partner = (await api<{ users: Array<{ user: string }> }>(`/v1/users/${user}/similar?n=1`)).users[0]
      .user;
    const blend = await api<{ tasteMatch: number; tracks: Array<{ title: string }> }>(
      `/v1/blend?users=${user},${partner}&length=20`,
    );
    await page.locator('[data-stat="blend-match"]').waitFor();
    expect(await page.locator('[data-stat="blend-match"]').innerText()).toBe(blend.tasteMatch.toFixed(3));
    expect(await page.locator("[data-blend-track]").allInnerTexts()).toEqual(
      blend.tracks.map((t) => t.title),
    );
    await page.getByRole("img", { name: /Blend attributes for each way/ }).waitFor();
    // The pool ranked for this listener under its rules, as the API ranks it.
    const pool = await api<{ tracks: Array<{ title: string; placed: string }> }>(
      `/v1/pools/e2e-pool/playlist?user=${user}`,
    );
    expect(pool.tracks.filter((t) => t.placed === `at least 3 ${other}`)).toHaveLength(3);
    await page.locator("[data-pool-track]").first().waitFor();
    expect(await page.locator("[data-pool-track]").allInnerTexts()).toEqual(pool.tracks.map((t) => t.title));
    const poolChart = page.getByRole("img", { name: /tracks of pool e2e-pool in playing order/ });
    expect(await poolChart.locator("rect").count()).toBeGreaterThanOrEqual(pool.tracks.length);
    // The playlist evaluation kept by eval --playlists, as /v1/evaluations gives it.
    const evaluated = (
      await api<{ evaluations: Array<{ report: { playlists: Record<string, { ndcg: number }> } }> }>(
        "/v1/evaluations?kind=playlists",
      )
    ).evaluations[0].report.playlists;
    const against = `NDCG discover ${evaluated.discover.ndcg.toFixed(3)} vs most popular new ${evaluated.popularNew.ndcg.toFixed(3)}`;
    const evidence = page.getByRole("img", { name: new RegExp(escape(against)) });
    expect(await evidence.locator("rect").count()).toBeGreaterThanOrEqual(4 * 5);
    await page.getByRole("img", { name: /Share of a Blend's tracks that a member played long/ }).waitFor();
    await shoot("taste");
    expect(problems).toEqual([]);
  });

  it("home shelves: the policy's counts, its shelves and the impression log, after pages and feedback over HTTP", async () => {
    type Page = { shelves: Array<{ impressionId: string }> };
    const pages: Page[] = [];
    for (let k = 0; k < 24; k++)
      pages.push(await api<Page>(`/v1/users/u${String(1 + k).padStart(4, "0")}/home?slots=6&context=phone`));
    // Impressions are logged behind the store lock after each answer: wait until all are in.
    await expect
      .poll(async () => (await api<{ log: { impressions: number } }>("/v1/home/report")).log.impressions, {
        timeout: 30_000,
      })
      .toBe(24 * 6);
    const feedback = pages.map((p, k) =>
      k % 3 === 2
        ? { impressionId: p.shelves[0].impressionId, time: new Date().toISOString(), kind: "dismiss" }
        : {
            impressionId: p.shelves[k % 4].impressionId,
            time: new Date().toISOString(),
            kind: "stream",
            playedMs: 40_000,
          },
    );
    const versionBefore = (await api<{ policy: { version: number } }>("/v1/home/report")).policy.version;
    const taught = await api<{ learnedPages: number }>("/v1/feedback", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ feedback }),
    });
    expect(taught.learnedPages).toBe(24);
    // The policy learnt from the feedback is saved as a new version about a second later: wait for it, so that
    // the page and the report below read the same version (under load the page could load after the save).
    await expect
      .poll(async () => (await api<{ policy: { version: number } }>("/v1/home/report")).policy.version, {
        timeout: 30_000,
      })
      .toBeGreaterThan(versionBefore);
    const report = await api<{
      policy: { kind: string; version: number; displays: number; streams: number };
      arms: Array<{ title: string }>;
      log: { impressions: number; rewarded: number; bySlot: unknown[] };
    }>("/v1/home/report?arms=30");
    expect(report.policy.streams).toBe(16);
    expect(report.log.rewarded).toBe(16);
    await page.goto(`${base}/#/home`);
    await page.locator('[data-stat="home-displays"]').waitFor();
    expect(await page.locator('[data-stat="home-displays"]').innerText()).toBe(
      report.policy.displays.toLocaleString("en-US"),
    );
    expect(await page.locator('[data-stat="home-streams"]').innerText()).toBe("16");
    expect(await page.locator('[data-fact="home-policy"]').innerText()).toBe(
      `${report.policy.kind} v${report.policy.version}`,
    );
    expect(await page.locator("[data-arm]").allInnerTexts()).toEqual(
      report.arms.slice(0, 12).map((a) => a.title),
    );
    const shown = page.getByRole("img", { name: new RegExp(`The ${report.arms.length} most shown shelves`) });
    expect(await shown.locator("circle").count()).toBe(report.arms.length);
    const slots = page.getByRole("img", { name: /at each slot/ });
    expect(await slots.locator("rect").count()).toBeGreaterThanOrEqual(report.log.bySlot.length);
    await page.getByRole("img", { name: new RegExp(`16 of ${report.log.impressions} streamed`) }).waitFor();
    // The evidence: the off-policy estimates and the simulated regret curves, as the API gives them.
    const evidence = await api<{
      ope: Array<{ meanWeight: number; estimates: Array<{ estimator: string; estimate: number }> }>;
      simulations: Array<{
        env: string;
        policies: Array<{ policy: string; meanCumulativeRegret: number; regretPerRound: number[] }>;
      }>;
    }>("/v1/home/evidence");
    expect(evidence.ope).toHaveLength(1);
    expect(evidence.ope[0].estimates.map((e) => e.estimator)).toEqual([
      "DM",
      "IPS",
      "SNIPS",
      "DR",
      "Switch-DR",
      "DRos",
    ]);
    expect(await page.locator("[data-ope] [data-estimator]").allInnerTexts()).toEqual(
      evidence.ope[0].estimates.map((e) => e.estimator),
    );
    expect(await page.locator("[data-ope] [data-estimate]").allInnerTexts()).toEqual(
      evidence.ope[0].estimates.map((e) => e.estimate.toFixed(5)),
    );
    expect(await page.locator('[data-fact="ope-mean-weight"]').innerText()).toBe(
      evidence.ope[0].meanWeight.toFixed(3),
    );
    const world = evidence.simulations.find((s) => s.env === "world");
    if (!world) throw new Error("no world simulation in /v1/home/evidence");
    expect(world.policies.map((p) => p.regretPerRound.length)).toEqual([5, 5, 5]);
    const ranked = [...world.policies].sort((a, b) => a.meanCumulativeRegret - b.meanCumulativeRegret);
    expect(await page.locator('[data-simulation="world"] [data-policy]').allInnerTexts()).toEqual(
      ranked.map((p) => p.policy),
    );
    expect(await page.locator('[data-simulation="world"] [data-regret]').allInnerTexts()).toEqual(
      ranked.map((p) => p.meanCumulativeRegret.toFixed(1)),
    );
    const curves = page.getByRole("img", {
      name: new RegExp(
        `regret against the oracle per round in the world environment.*Lowest: ${ranked[0].policy}`,
      ),
    });
    // One line per policy.
    expect(await curves.locator("path[stroke]").count()).toBeGreaterThanOrEqual(3);
    await shoot("home");
    expect(problems).toEqual([]);
  });

  it("privacy: the mode, the ledger after requests over HTTP, and deniability by ε", async () => {
    const turn = (user: string, k: number) => ({
      requestId: `private-${user}-${k}`,
      user,
      time: "2024-03-01T08:00:00Z",
      text: "play the song hello by adele",
    });
    // ε = 10 per vocabulary word (the request has four to six): each user's first request fits the cap of 60,
    // a second does not.
    const posted = await api<{ accepted: number; rejected: number }>("/v1/requests", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ requests: [turn("p1", 1), turn("p2", 1), turn("p1", 2), turn("p3", 1)] }),
    });
    expect(posted).toMatchObject({ accepted: 3, rejected: 1 });
    // The refused row counts in the overview's rejects, as the API sums them.
    const ingest = (await api<{ store: { ingest: { rejected: number } } }>("/v1/overview")).store.ingest;
    expect(ingest.rejected).toBeGreaterThanOrEqual(1);
    await page.goto(`${base}/`);
    await page.locator('[data-stat="rejected"]').waitFor();
    expect(await page.locator('[data-stat="rejected"]').innerText()).toBe(
      ingest.rejected.toLocaleString("en-US"),
    );
    const report = await api<{ ledger: { users: number; total: number; top: Array<{ spent: number }> } }>(
      "/v1/privacy?top=30",
    );
    const cost = report.ledger.top[0].spent;
    expect(cost).toBeGreaterThanOrEqual(40);
    expect(report.ledger).toMatchObject({ users: 3, total: 3 * cost });
    await page.goto(`${base}/#/privacy`);
    await page.locator('[data-stat="privacy-users"]').waitFor();
    expect(await page.locator('[data-stat="privacy-users"]').innerText()).toBe("3");
    expect(await page.locator('[data-stat="privacy-total"]').innerText()).toBe((3 * cost).toFixed(1));
    expect(await page.locator('[data-fact="privacy-mode"]').innerText()).toBe(
      "On: multivariate Laplace, ε = 10 per word",
    );
    const spenders = page.getByRole("img", { name: /biggest spenders.*the cap, ε = 60/ });
    expect(await spenders.locator("rect").count()).toBeGreaterThanOrEqual(3);
    const record = (
      await api<{
        evaluations: Array<{
          report: { rows: Array<{ mechanism: string; epsilon: number; unchanged?: { median: number } }> };
        }>;
      }>("/v1/evaluations?kind=deniability")
    ).evaluations[0];
    const laplace10 = record.report.rows.find((r) => r.mechanism === "laplace" && r.epsilon === 10);
    const shown = `ε 10: ${(100 * (laplace10?.unchanged?.median ?? Number.NaN)).toFixed(1)}%`;
    const nw = page.getByRole("img", { name: new RegExp(`N_w.*${escape(shown)}`) });
    await nw.waitFor();
    expect(await nw.locator("path").count()).toBeGreaterThanOrEqual(2);
    await page.getByRole("img", { name: /Distinct words a word is replaced by/ }).waitFor();
    // What privacy costs, as privacy eval kept it: the ceiling, and every cell's accuracy in order.
    const utility = (
      await api<{
        evaluations: Array<{ report: { cells: Array<{ mechanism: string; accuracy: { mean: number } }> } }>;
      }>("/v1/evaluations?kind=privacy-utility")
    ).evaluations[0].report.cells;
    const ceiling = utility.find((c) => c.mechanism === "none");
    expect(await page.locator('[data-stat="utility-ceiling"]').innerText()).toBe(
      ceiling?.accuracy.mean.toFixed(3),
    );
    expect(await page.locator("[data-utility-accuracy]").allInnerTexts()).toEqual(
      utility.map((c) => c.accuracy.mean.toFixed(3)),
    );
    const costs = page.getByRole("img", {
      name: /Intent accuracy against plausible deniability.*At matched median N_w: Gumbel ε 70/,
    });
    expect(await costs.locator("circle").count()).toBeGreaterThanOrEqual(3);
    await shoot("privacy");
    expect(problems).toEqual([]);
  });

  it("favourites and decisions: late-label methods, thresholds and play-or-ask, as recorded", async () => {
    await page.goto(`${base}/#/decisions`);
    type Quality = { auc: number; logLoss: number };
    const delayed = (
      await api<{
        evaluations: Array<{
          report: { positiveRate: number; runs: Array<{ methods: Record<string, Quality> }> };
        }>;
      }>("/v1/evaluations?kind=delayed")
    ).evaluations[0].report;
    await page.locator('[data-stat="delayed-positive"]').waitFor();
    expect(await page.locator('[data-stat="delayed-positive"]').innerText()).toBe(
      `${(100 * delayed.positiveRate).toFixed(1)}%`,
    );
    const auc = `importance ${delayed.runs[0].methods.importance.auc.toFixed(3)}`;
    const aucChart = page.getByRole("img", { name: new RegExp(`AUC on the matured test examples.*${auc}`) });
    await aucChart.waitFor();
    expect(await aucChart.locator("rect").count()).toBeGreaterThanOrEqual(4);
    await page.getByRole("img", { name: /Recall of favourites selected at each target precision/ }).waitFor();
    const decision = (
      await api<{ evaluations: Array<{ report: { runs: Array<{ topAccuracy: number }> } }> }>(
        "/v1/evaluations?kind=decision",
      )
    ).evaluations[0].report;
    expect(await page.locator('[data-stat="decision-accuracy"]').innerText()).toBe(
      decision.runs[0].topAccuracy.toFixed(3),
    );
    const played = page.getByRole("img", { name: /Share of requests played without asking/ });
    expect(await played.locator("rect").count()).toBeGreaterThanOrEqual(12);
    await shoot("decisions");
    expect(problems).toEqual([]);
  });

  it("what follows: the directed model's next items for the most played item, beside the similar ones", async () => {
    await page.goto(`${base}/#/next`);
    const top = (await api<{ points: Array<{ item: string }> }>("/v1/items/map?limit=2")).points[0].item;
    const next = await api<{ items: Array<{ title: string; score: number }> }>(
      `/v1/items/${encodeURIComponent(top)}/next?n=12`,
    );
    expect(next.items.length).toBeGreaterThan(0);
    await page.locator("[data-next]").first().waitFor();
    expect(await page.locator("[data-next]").allInnerTexts()).toEqual(next.items.map((x) => x.title));
    const chart = page.getByRole("img", {
      name: new RegExp(`played after ${escape(top)}: ${escape(next.items[0].title)}`),
    });
    expect(await chart.locator("rect").count()).toBeGreaterThanOrEqual(next.items.length);
    // Following a next item makes it the subject.
    await page.locator("[data-next]").first().click();
    await page.getByRole("heading", { name: /Played after/ }).waitFor();
    await expect.poll(() => page.url()).not.toMatch(/#\/next$/);
    await page.goto(`${base}/#/next`);
    await page.locator("[data-next]").first().waitFor();
    await shoot("next");
    expect(problems).toEqual([]);
  });

  it("model and evidence: the recorded evaluation, the weighting functions and the item map", async () => {
    await page.goto(`${base}/#/model`);
    const evaluations = await api<{
      evaluations: Array<{ command: string; report: { model: { spearman: number } } }>;
    }>("/v1/evaluations?kind=affinity");
    await page.getByText(evaluations.evaluations[0].command).waitFor();
    await page
      .getByRole("img", {
        name: new RegExp(`tastebud ${evaluations.evaluations[0].report.model.spearman.toFixed(3)}`),
      })
      .waitFor();
    const map = await api<{ points: unknown[] }>("/v1/items/map?limit=1500");
    const mapChart = page.getByRole("img", {
      name: new RegExp(`The ${map.points.length} most played items`),
    });
    await mapChart.waitFor();
    expect(await mapChart.locator("circle").count()).toBe(map.points.length);
    await page.getByRole("img", { name: /Confidence weight g\(x\)/ }).waitFor();
    // The training curve the demo's training recorded, as the overview gives it.
    const overview = await api<{
      model: { trainingCurve: Array<{ phase: string; loss: number; validationLoss?: number }> };
    }>("/v1/overview");
    const final = overview.model.trainingCurve.filter((p) => p.phase === "final");
    expect(final.length).toBeGreaterThan(1);
    expect(final[final.length - 1].loss).toBeLessThan(final[0].loss);
    const curve = page.getByRole("img", {
      name: new RegExp(
        `final fit went from ${final[0].loss.toFixed(3)} to ${final[final.length - 1].loss.toFixed(3)} over ${final.length} epochs`,
      ),
    });
    await curve.waitFor();
    expect(await curve.locator("path").count()).toBeGreaterThanOrEqual(2);
    // The top-N model recommend serves, and what validation said of each recommender.
    const topN = (
      await api<{ model: { topN: { name: string; validation: { best: Array<{ "ndcg@10": number }> } } } }>(
        "/v1/overview",
      )
    ).model.topN;
    expect(await page.locator('[data-fact="topn"]').innerText()).toBe(topN.name);
    const choice = page.getByRole("img", { name: /Validation NDCG@10 and recall@10 of each recommender/ });
    expect(await choice.locator("rect").count()).toBeGreaterThanOrEqual(2 * topN.validation.best.length);
    expect(await choice.getAttribute("aria-label")).toContain(topN.validation.best[0]["ndcg@10"].toFixed(3));
    await shoot("model");
    expect(problems).toEqual([]);
  });

  it("self-learning: defect rate, rewrite table with monitor states, failure points", async () => {
    await page.goto(`${base}/#/learning`);
    const daily = await api<{ days: Array<{ turns: number; defective: number }> }>("/v1/requests/daily");
    const turns = daily.days.reduce((s, d) => s + d.turns, 0);
    const defective = daily.days.reduce((s, d) => s + d.defective, 0);
    await page.locator('[data-stat="defect-rate"]').waitFor();
    expect(await page.locator('[data-stat="defect-rate"]').innerText()).toBe(
      `${((100 * defective) / turns).toFixed(1)}%`,
    );
    const rewrites = await api<{ rules: Array<{ source: string }>; refused: Array<{ source: string }> }>(
      "/v1/rewrites",
    );
    expect(rewrites.rules.length).toBeGreaterThan(0);
    await page.getByRole("table", { name: /Learned rewrites/ }).waitFor();
    // The meaning check's refusals, as the API lists them (most travelled first, at most 15).
    if (rewrites.refused.length > 0) {
      await page
        .getByRole("img", { name: new RegExp(`${rewrites.refused.length} strongest routes`) })
        .waitFor();
      expect(await page.locator("[data-refused]").count()).toBe(Math.min(15, rewrites.refused.length));
    } else await page.getByText(/The meaning check refused no route/).waitFor();
    await page.getByText(/the stage that fails most/).waitFor({ timeout: 60_000 });
    await shoot("learning");
    expect(problems).toEqual([]);
  });

  it("serving: this replica's store, bus, the version /healthz names, its swaps and the registry, as /v1/serving gives them", async () => {
    await page.goto(`${base}/#/serving`);
    await page.locator('[data-fact="serving-model"]').waitFor();
    const health = await api<{ model: string }>("/healthz");
    const report = await api<{
      model: { version: string };
      bus: unknown;
      swaps: Array<{ version: string; totalMs: number; readMs: number }>;
      registry: Array<{ version: string; isCurrent: boolean; serving: boolean }>;
    }>("/v1/serving");
    expect(report.model.version).toBe(health.model);
    const fact = (id: string) => page.locator(`[data-fact="${id}"]`).innerText();
    expect(await fact("serving-model")).toBe(health.model);
    expect(await page.locator('[data-stat="serving-version"]').innerText()).toBe(health.model);
    expect(await fact("registry-current")).toBe(health.model);
    // The demo's store file by its name only, and no bus: `serve` was started without --bus.
    expect(await fact("store-kind")).toBe("duckdb");
    expect(await fact("store-location")).toBe("demo.duckdb");
    expect(report.bus).toBeNull();
    expect(await fact("bus")).toBe("none: this process serves alone");
    // At least the swap that loaded the served version at start; the page lists them as the API does.
    expect(report.swaps.length).toBeGreaterThanOrEqual(1);
    expect(report.swaps[0].version).toBe(health.model);
    expect(await page.locator("[data-swap]").allInnerTexts()).toEqual(report.swaps.map((s) => s.version));
    expect(await page.locator("[data-registry]").allInnerTexts()).toEqual(
      report.registry.map((m) => m.version),
    );
    expect(report.registry.filter((m) => m.isCurrent && m.serving).map((m) => m.version)).toEqual([
      health.model,
    ]);
    const total = `${report.swaps[0].totalMs.toLocaleString("en-US", { maximumFractionDigits: 0 })} ms`;
    const chart = page.getByRole("img", {
      name: new RegExp(
        `Time from request to serving of the ${report.swaps.length} latest.*Latest: ${escape(health.model)} in ${escape(total)}`,
      ),
    });
    // Each swap's bar is its read and the rest (a part of 0 ms may draw no rectangle).
    expect(await chart.locator("rect").count()).toBeGreaterThanOrEqual(report.swaps.length);
    // The page's own control is reachable with Tab after the header's.
    let reached = false;
    for (let k = 0; k < 30 && !reached; k++) {
      await page.keyboard.press("Tab");
      reached =
        (await page
          .locator(":focus")
          .innerText()
          .catch(() => "")) === "Refresh";
    }
    expect(reached).toBe(true);
    await page.keyboard.press("Enter");
    await page.locator('[data-fact="serving-model"]').waitFor();
    await shoot("serving");
    expect(problems).toEqual([]);
  });

  it("works from the keyboard: Tab reaches the navigation and Enter follows it", async () => {
    await page.goto(`${base}/`);
    await page.locator('[data-stat="plays"]').waitFor();
    let reached = false;
    for (let k = 0; k < 10 && !reached; k++) {
      await page.keyboard.press("Tab");
      reached =
        (await page
          .locator(":focus")
          .innerText()
          .catch(() => "")) === "Ask it";
    }
    expect(reached).toBe(true);
    await page.keyboard.press("Enter");
    await page.waitForURL("**/#/ask");
    await page.getByRole("heading", { name: "Ask it" }).waitFor();
    expect(problems).toEqual([]);
  });
});
