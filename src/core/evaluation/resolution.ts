import { type AffinityModel, userState } from "../affinity/affinity-model.js";
import type { CatalogueIndex } from "../matching/index.js";
import { Random } from "../random.js";
import type { CatalogueView } from "../serving/catalogue-view.js";
import { type ResolveStrategy, rankCandidates, textCandidates } from "../serving/resolve.js";

export interface ResolutionCase {
  user: string;
  text: string;
  /** The entity the speaker meant (simulator truth), or the item they went on to play. */
  intended: string;
}

export interface ResolutionReport {
  accuracy: Record<"tastebud" | "popularity" | "random", number>;
  /** Accuracy on requests whose best text matches are tied (the "play hello" cases). */
  ambiguousAccuracy: Record<"tastebud" | "popularity" | "random", number>;
  requests: number;
  ambiguous: number;
  /** Share of requests whose intended entity was among the text candidates at all. */
  candidateRecall: number;
}

/** Resolution accuracy of tastebud's personal ranking against popularity-only and random choice. */
export function evaluateResolution(
  model: AffinityModel,
  view: CatalogueView,
  matcher: CatalogueIndex,
  cases: readonly ResolutionCase[],
  seed = 0,
): ResolutionReport {
  const userIndex = new Map(model.users.map((u, k) => [u, k]));
  const rng = new Random(seed);
  const strategies: Array<[keyof ResolutionReport["accuracy"], ResolveStrategy]> = [
    ["tastebud", "personal"],
    ["popularity", "popularity"],
    ["random", "random"],
  ];
  const hits = { tastebud: 0, popularity: 0, random: 0 };
  const ambiguousHits = { tastebud: 0, popularity: 0, random: 0 };
  let ambiguous = 0;
  let found = 0;
  for (const c of cases) {
    const candidates = textCandidates(matcher, c.text);
    if (candidates.some((m) => m.itemId === c.intended)) found++;
    const best = candidates.reduce((m, x) => Math.max(m, x.score), 0);
    const isAmbiguous = candidates.filter((x) => x.score >= best - 1e-9).length > 1;
    if (isAmbiguous) ambiguous++;
    const u = userIndex.get(c.user) ?? -1;
    const user = u < 0 ? null : userState(model, u);
    for (const [name, strategy] of strategies) {
      const ranked = rankCandidates(model, view, user, candidates, strategy, () => rng.next());
      if (ranked[0]?.item === c.intended) {
        hits[name]++;
        if (isAmbiguous) ambiguousHits[name]++;
      }
    }
  }
  const share = (x: number, n: number) => (n ? Math.round((x / n) * 1e4) / 1e4 : 0);
  return {
    accuracy: {
      tastebud: share(hits.tastebud, cases.length),
      popularity: share(hits.popularity, cases.length),
      random: share(hits.random, cases.length),
    },
    ambiguousAccuracy: {
      tastebud: share(ambiguousHits.tastebud, ambiguous),
      popularity: share(ambiguousHits.popularity, ambiguous),
      random: share(ambiguousHits.random, ambiguous),
    },
    requests: cases.length,
    ambiguous,
    candidateRecall: share(found, cases.length),
  };
}
