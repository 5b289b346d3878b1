import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "../config.js";
import { normalizeText } from "../core/matching/normalize.js";
import { simulateVoice } from "../core/simulate/index.js";
import { Engine } from "../engine.js";
import { storeVoiceWorld } from "../store/voice-world-store.js";

const DAY_MS = 86_400_000;

/**
 * The served path end to end on simulated assistants: the store holds the first days of a world, `train`
 * fits resolve's evidence-versus-prior weights on its last 7 days with a model of the days before, and
 * `resolve` (as served) answers the held-out days' first requests, judged by what the user meant (the
 * simulator's truth). Personal resolution must not lose to the popularity prior it starts from where two
 * items of one kind share a title ("play hello"), nor with context on every ambiguous title. Several worlds,
 * seed 3 among them (where the fit on training turns lost). Measured (200 users, 24 days, 4 held out):
 * same-kind personal vs popularity, ambiguous with context personal vs popularity: see the expectations.
 */
describe("served resolution against the popularity prior", () => {
  for (const seed of [2, 3, 5]) {
    it(`seed ${seed}: personal >= popularity on same-kind titles, and with context on all ambiguous ones`, async () => {
      const days = 24;
      const world = simulateVoice({ users: 200, days, items: 600, seed });
      const cutMs = Date.parse(world.startDate) + (days - 4) * DAY_MS;
      const isTrain = world.requests.map((r) => Date.parse(r.time) < cutMs);
      const trainIds = new Set(world.requests.filter((_, k) => isTrain[k]).map((r) => r.requestId));
      const dir = mkdtempSync(join(tmpdir(), "tastebud-resolve-served-"));
      const engine = await Engine.open({ store: ":memory:", models: dir, seed: 1 });
      try {
        await storeVoiceWorld(engine.store, {
          ...world,
          requests: world.requests.filter((_, k) => isTrain[k]),
          plays: world.plays.filter((p) => p.requestId !== undefined && trainIds.has(p.requestId)),
        });
        const trained = await engine.affinity.train(
          toTrainConfig(trainSettingsSchema.parse({ factors: 16, epochs: 15, topN: false })),
        );
        // The fit's record: 7 days held out, ranked by a model that did not see them.
        const fit = JSON.parse(readFileSync(join(trained.path, "resolveBlend.json"), "utf8"));
        expect(fit.days).toBe(7);
        expect(Date.parse(fit.cutAt)).toBeGreaterThan(cutMs - 8 * DAY_MS);
        expect(fit.turns).toBeGreaterThan(100);
        expect(fit.accuracy).toBeGreaterThanOrEqual(fit.priorAccuracy);

        const kindsOf = new Map<string, Set<string>>();
        const count = new Map<string, number>();
        for (const c of world.catalogue) {
          const key = normalizeText(c.title);
          kindsOf.set(key, (kindsOf.get(key) ?? new Set()).add(c.kind ?? "song"));
          count.set(key, (count.get(key) ?? 0) + 1);
        }
        const kindOf = new Map(world.catalogue.map((c) => [c.id, c.kind ?? "song"]));
        const tally = { same: 0, samePersonal: 0, samePopular: 0, amb: 0, ambPersonal: 0, ambPopular: 0 };
        for (let k = 0; k < world.requests.length; k++) {
          const truth = world.truth[k];
          if (isTrain[k] || truth.rephraseOf !== null || !truth.intendedItem) continue;
          const key = normalizeText(world.catalogue.find((c) => c.id === truth.intendedItem)?.title ?? "");
          if ((count.get(key) ?? 0) < 2) continue;
          const r = world.requests[k];
          const ask = async (strategy: "personal" | "popularity", useContext: boolean) =>
            (
              await engine.voice.resolve(r.user, truth.spokenText, {
                strategy,
                useContext,
                context: r.context,
                timeMs: Date.parse(r.time),
                rewrite: false,
              })
            ).candidates[0]?.item === truth.intendedItem;
          tally.amb++;
          if (await ask("personal", true)) tally.ambPersonal++;
          if (await ask("popularity", true)) tally.ambPopular++;
          if (kindsOf.get(key)?.size === 1 && kindOf.get(truth.intendedItem)) {
            tally.same++;
            if (await ask("personal", false)) tally.samePersonal++;
            if (await ask("popularity", false)) tally.samePopular++;
          }
        }
        console.log(`seed ${seed}: ${JSON.stringify({ ...tally, fit })}`);
        expect(tally.same).toBeGreaterThan(30);
        expect(tally.samePersonal).toBeGreaterThanOrEqual(tally.samePopular);
        expect(tally.ambPersonal).toBeGreaterThanOrEqual(tally.ambPopular);
      } finally {
        await engine.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);
  }
});
