import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { commaList } from "../../config.js";
import {
  type BlendPolicy,
  blendPolicies,
  type PlaylistKind,
  playlistKinds,
} from "../../core/playlists/index.js";
import type { Engine } from "../../engine.js";
import {
  type BlendAnswer,
  type PlaylistAnswer,
  PlaylistRequestError,
  type PoolPlaylistAnswer,
} from "../../services/playlists.js";
import { UsageError } from "../errors.js";
import { addStoreOptions, number } from "../options.js";
import { withEngine } from "../run.js";

/** Runs a playlists call; a request it cannot serve (unknown seed, bad numbers) is a usage error. */
async function withPlaylists<T>(
  opts: { store: string; models?: string },
  body: (engine: Engine) => Promise<T>,
): Promise<T> {
  return withEngine(opts, async (engine) => {
    try {
      return await body(engine);
    } catch (err) {
      if (err instanceof PlaylistRequestError) throw new UsageError(err.message);
      throw err;
    }
  });
}

export function playlistCommand(program: Command): void {
  const cmd = program
    .command("playlist")
    .description(
      "a personal playlist: discover (new to the user), mix (favourites and new ones), radio (around a seed); diverse, coherent, each track with its reason",
    )
    .requiredOption("--user <id>", "user id")
    .option("--kind <kind>", `${playlistKinds.join(", ")}`, "mix")
    .option("--length <n>", "tracks", number("length"), 30)
    .option(
      "--familiar <share>",
      "share of familiar tracks, 0 to 1 (default discover 0, mix 0.5, radio 0.3)",
      number("familiar"),
    )
    .option("--seed-item <id>", "radio: play around this item")
    .option("--seed-artist <name>", "radio: play around this artist")
    .option("--artist-cap <n>", "most tracks by one artist", number("artist-cap"))
    .option("--diversity <d>", "weight of diversity in the choice, 0 to 1 (default 0.3)", number("diversity"))
    .option("--kind-filter <kind>", "only items of this kind (song, video, podcast, ...)")
    .option("--tags <tags>", "only items with any of these tags (comma separated)")
    .option("--pool <name>", "an editor's pool (see tastebud pools), ranked for this user under its rules")
    .option("--json", "print JSON");
  addStoreOptions(cmd).action(async (opts) => {
    if (opts.pool) {
      await withPlaylists(opts, async (engine) => {
        const answer = await engine.playlists.fromPool(opts.user, opts.pool);
        console.log(opts.json ? JSON.stringify(answer) : formatPoolPlaylist(answer));
      });
      return;
    }
    if (!(playlistKinds as readonly string[]).includes(opts.kind))
      throw new UsageError(`--kind expects one of ${playlistKinds.join(", ")}, got "${opts.kind}"`);
    await withPlaylists(opts, async (engine) => {
      const answer = await engine.playlists.forUser(opts.user, {
        kind: opts.kind as PlaylistKind,
        length: opts.length,
        familiar: opts.familiar,
        seedItem: opts.seedItem,
        seedCreator: opts.seedArtist,
        artistCap: opts.artistCap,
        diversity: opts.diversity,
        filter: { kind: opts.kindFilter, tags: commaList(opts.tags) },
      });
      console.log(opts.json ? JSON.stringify(answer) : formatPlaylist(answer));
    });
  });
}

export function formatPlaylist(answer: PlaylistAnswer): string {
  const s = answer.summary;
  const lines = [
    `${answer.kind} for ${answer.user}${answer.seed ? ` around ${answer.seed}` : ""} (${answer.source}, model ${answer.model}): ${answer.tracks.length} tracks`,
  ];
  answer.tracks.forEach((t, k) => {
    lines.push(
      `${String(k + 1).padStart(3)}. ${t.familiar ? "*" : " "} ${t.relevance.toFixed(3)}  ${t.title} by ${t.creators.join(", ") || "?"}  (${t.reason})`,
    );
    for (const p of t.preferences ?? []) lines.push(`          ${p}`);
  });
  lines.push(
    `familiar ${(100 * s.familiarShare).toFixed(0)}% (* marks them); diversity ${s.diversity.toFixed(3)}; coherence ${s.coherence.toFixed(3)} (${s.coherenceUnordered.toFixed(3)} before ordering); artists per track ${s.artistCoverage.toFixed(2)}, at most ${s.maxPerArtist} by one`,
  );
  if (s.shortfall.familiar || s.shortfall.new)
    lines.push(
      `the dial asked for ${s.shortfall.familiar} more familiar and ${s.shortfall.new} more new tracks than were available; the other kind filled in`,
    );
  return lines.join("\n");
}

export function tasteCommand(program: Command): void {
  const cmd = program
    .command("taste")
    .description(
      "the taste space: a user's profile and similar users (--user), or artists like one (--artist)",
    )
    .option("--user <id>", "user id: top artists and tags, how adventurous, similar users")
    .option("--artist <name>", "artist: similar artists (taste space and the co-listening baseline)")
    .option("-n <n>", "how many", number("n"), 10)
    .option("--json", "print JSON");
  addStoreOptions(cmd).action(async (opts) => {
    if (Boolean(opts.user) === Boolean(opts.artist)) throw new UsageError("give --user or --artist");
    await withPlaylists(opts, async (engine) => {
      if (opts.artist) {
        const a = await engine.playlists.similarCreators(opts.artist, { n: opts.n });
        if (opts.json) return console.log(JSON.stringify(a));
        console.log(`artists like ${a.creator} (model ${a.model}), taste space | co-listening`);
        for (let k = 0; k < Math.max(a.creators.length, a.coListening.length); k++) {
          const t = a.creators[k];
          const c = a.coListening[k];
          console.log(
            `  ${t ? `${t.similarity.toFixed(3)} ${t.creator}`.padEnd(40) : "".padEnd(40)} | ${c ? `${c.similarity.toFixed(3)} ${c.creator}` : ""}`,
          );
        }
        return;
      }
      const profile = await engine.playlists.profile(opts.user);
      const similar = await engine.playlists.similarUsers(opts.user, { n: opts.n });
      if (opts.json) return console.log(JSON.stringify({ ...profile, similarUsers: similar.users }));
      console.log(
        `${profile.user}: ${profile.plays} plays of ${profile.items} items, ${profile.liked} liked (model ${profile.model})`,
      );
      console.log(`  top artists: ${profile.topCreators.map((c) => c.name).join(", ")}`);
      console.log(`  top tags:    ${profile.topTags.map((c) => c.name).join(", ") || "-"}`);
      const pct = profile.adventurousPercentile;
      console.log(
        `  adventurous: ${profile.adventurous.toFixed(3)} of liked plays went to a different track${pct === null ? "" : ` (more than ${(100 * pct).toFixed(0)}% of listeners)`}; ${(100 * profile.landed).toFixed(0)}% of tracks tried were liked`,
      );
      console.log(
        `  similar users: ${similar.users.map((u) => `${u.user} ${u.similarity.toFixed(2)}`).join(", ")}`,
      );
    });
  });
}

export function blendCommand(program: Command): void {
  const cmd = program
    .command("blend")
    .description(
      "one playlist for several users: each track says whose taste it serves; Blend attributes vs naive policies",
    )
    .requiredOption("--users <ids>", "two or more user ids (comma separated)")
    .option("--length <n>", "tracks", number("length"), 30)
    .option(
      "--policy <name>",
      `${blendPolicies.join(", ")} (alternating and mean are the naive baselines)`,
      "blend",
    )
    .option("--artist-cap <n>", "most tracks by one artist", number("artist-cap"))
    .option("--json", "print JSON");
  addStoreOptions(cmd).action(async (opts) => {
    if (!(blendPolicies as readonly string[]).includes(opts.policy))
      throw new UsageError(`--policy expects one of ${blendPolicies.join(", ")}, got "${opts.policy}"`);
    await withPlaylists(opts, async (engine) => {
      const answer = await engine.playlists.blend(commaList(opts.users) ?? [], {
        length: opts.length,
        policy: opts.policy as BlendPolicy,
        artistCap: opts.artistCap,
      });
      console.log(opts.json ? JSON.stringify(answer) : formatBlend(answer));
    });
  });
}

export function formatBlend(answer: BlendAnswer): string {
  const lines = [
    `Blend of ${answer.users.join(", ")} (${answer.policy}, model ${answer.model}): taste match ${answer.tasteMatch.toFixed(2)}, ${answer.tracks.length} tracks`,
  ];
  answer.tracks.forEach((t, k) => {
    lines.push(
      `${String(k + 1).padStart(3)}. ${t.title} by ${t.creators.join(", ") || "?"}  (for ${t.for.join(" and ")})`,
    );
  });
  lines.push("policy        relevance per member        joy    worst  equal  democratic  coherent");
  for (const [name, a] of Object.entries(answer.policies))
    lines.push(
      `${name.padEnd(12)}  ${a.relevance
        .map((r) => r.toFixed(3))
        .join(" ")
        .padEnd(
          26,
        )}  ${a.joy.toFixed(3)}  ${a.worstMember.toFixed(3)}  ${a.equal.toFixed(3)}  ${a.democratic.toFixed(3).padStart(10)}  ${a.coherent.toFixed(3).padStart(8)}`,
    );
  return lines.join("\n");
}

export function formatPoolPlaylist(answer: PoolPlaylistAnswer): string {
  const lines = [
    `pool ${answer.pool.name} v${answer.pool.version} for ${answer.user} (${answer.source === "editor" ? "unknown user: the editor's order" : answer.source}, model ${answer.model}): ${answer.tracks.length} tracks`,
  ];
  answer.tracks.forEach((t, k) => {
    const r = t.relevance === undefined ? "     " : t.relevance.toFixed(3);
    lines.push(
      `${String(k + 1).padStart(3)}. ${r}  ${t.title} by ${t.creators.join(", ") || "?"}  (${t.reason}; ${t.placed})`,
    );
  });
  for (const u of answer.unmet) lines.push(`rule not met: ${u}`);
  if (answer.unknownItems.length) lines.push(`not in the model: ${answer.unknownItems.join(", ")}`);
  return lines.join("\n");
}

export function poolsCommand(program: Command): void {
  const pools = program
    .command("pools")
    .description("editors' pools for algotorial playlists: add, list, rm");
  const add = pools
    .command("add")
    .description("store a new version of a pool: a JSON definition (--file) or flags")
    .argument("<name>", "pool name")
    .option("--file <def.json>", "the definition as JSON (items, creators, tags, kind, rules)")
    .option("--items <ids>", "item ids in the editor's order (comma separated)")
    .option("--creators <names>", "every item by these creators (comma separated)")
    .option("--tags <tags>", "every item with any of these tags (comma separated)")
    .option("--kind <kind>", "only items of this kind")
    .option("--length <n>", "tracks", number("length"))
    .option("--opener <id>", "this item always plays first")
    .option(
      "--at-least <n:tag>",
      "at least n items with this tag (repeatable), e.g. 3:new-release",
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .option("--max-per-artist <n>", "most tracks by one artist", number("max-per-artist"))
    .option(
      "--before <a>b>",
      "item a plays before item b when both do (repeatable, ids joined by >)",
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .option("--json", "print JSON");
  addStoreOptions(add).action(async (name: string, opts) => {
    const definition = opts.file ? JSON.parse(readFileSync(opts.file, "utf8")) : poolFromFlags(opts);
    await withPlaylists(opts, async (engine) => {
      const r = await engine.playlists.addPool(name, definition);
      if (opts.json) return console.log(JSON.stringify(r));
      console.log(`pool ${r.name} v${r.version} stored`);
      if (r.unknownItems.length)
        console.log(`  not in the current model (cannot be played yet): ${r.unknownItems.join(", ")}`);
    });
  });
  const list = pools
    .command("list")
    .description("the latest version of every pool")
    .option("--json", "print JSON");
  addStoreOptions(list).action(async (opts) => {
    await withPlaylists(opts, async (engine) => {
      const all = await engine.playlists.listPools();
      if (opts.json) return console.log(JSON.stringify(all));
      if (all.length === 0) console.log("no pools yet: tastebud pools add NAME ...");
      for (const p of all) {
        const d = p.definition;
        console.log(
          `${p.name} v${p.version} (${p.createdAt}): ${d.items.length} items, creators [${d.creators.join(", ")}], tags [${d.tags.join(", ")}], length ${d.rules.length}`,
        );
      }
    });
  });
  const rm = pools
    .command("rm")
    .description("remove a pool (its versions are kept for audit)")
    .argument("<name>");
  addStoreOptions(rm).action(async (name: string, opts) => {
    await withPlaylists(opts, async (engine) => {
      if (!(await engine.playlists.removePool(name))) throw new UsageError(`no pool named ${name}`);
      console.log(`pool ${name} removed`);
    });
  });
}

function poolFromFlags(opts: Record<string, unknown>) {
  const atLeast = (opts.atLeast as string[]).map((v) => {
    const m = /^(\d+):(.+)$/.exec(v);
    if (!m) throw new UsageError(`--at-least expects n:tag, e.g. 3:new-release, got "${v}"`);
    return { count: Number(m[1]), tag: m[2] };
  });
  const before = (opts.before as string[]).map((v) => {
    const parts = v.split(">");
    if (parts.length !== 2 || !parts[0] || !parts[1])
      throw new UsageError(`--before expects a>b, got "${v}"`);
    return parts as [string, string];
  });
  return {
    items: commaList(opts.items as string | undefined) ?? [],
    creators: commaList(opts.creators as string | undefined) ?? [],
    tags: commaList(opts.tags as string | undefined) ?? [],
    ...(opts.kind ? { kind: opts.kind } : {}),
    rules: {
      ...(opts.length !== undefined ? { length: opts.length } : {}),
      ...(opts.opener ? { opener: opts.opener } : {}),
      ...(opts.maxPerArtist !== undefined ? { maxPerCreator: opts.maxPerArtist } : {}),
      atLeast,
      before,
    },
  };
}
