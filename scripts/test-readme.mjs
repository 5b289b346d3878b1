// Runs what the README tells a newcomer to run, in order, in a fresh temporary folder, against this
// checkout's built dist/ (run `npm run build` first; `npm ci` does it through prepare), and checks that
// every table of figures names the command that produced it.
//   npm run test:readme                 (all of it)
//   node scripts/test-readme.mjs --list (print the commands and how each is treated, run nothing)
//
// What is run: every line of a fenced code block that starts with a command (npx, npm, node, bash, curl,
// export, cd), in one bash session so that `export` and `cd` carry over, and every ```js block, written
// to a file and run with node. `npx tastebud ...` runs this checkout's CLI (never the registry);
// `npm install && ` is dropped (the checkout is installed), `npm run demo` runs the CLI's demo here and
// other npm and bash commands (npm run lint) run in the checkout.
// Markers in a command's trailing comment:
//   # [not run: reason]   skipped (needs the user's own files, ../shared/data, runs until stopped, long)
//   # [exit N]            expected exit code N (default 0)
// A command that exits otherwise fails the test, with the line of the README it came from.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const readme = readFileSync(join(root, "README.md"), "utf8").split("\n");
const listOnly = process.argv.includes("--list");

const COMMAND = /^(npx|npm|node|bash|curl|export|cd) /;
const NOT_RUN = /#.*\[not run: ([^\]]+)\]/;
const EXIT = /#.*\[exit (\d+)\]/;

/** The README's runnable steps, in order: shell lines and js blocks, each with its line number. */
function steps() {
  const out = [];
  let fence = null;
  let block = [];
  let start = 0;
  readme.forEach((text, k) => {
    const line = k + 1;
    const open = /^```(\w*)\s*$/.exec(text);
    if (fence === null && open) {
      fence = open[1];
      block = [];
      start = line;
      return;
    }
    if (fence !== null && /^```\s*$/.test(text)) {
      // A js example must exit 0 like any command (without `expect` the shell's test compared to "undefined",
      // which errors and so never failed the run).
      if (fence === "js") out.push({ kind: "js", line: start, code: block.join("\n"), expect: 0 });
      fence = null;
      return;
    }
    if (fence === null) return;
    block.push(text);
    if ((fence === "" || fence === "sh" || fence === "bash") && COMMAND.test(text)) {
      const skip = NOT_RUN.exec(text);
      const exit = EXIT.exec(text);
      out.push({
        kind: "sh",
        line,
        code: text,
        ...(skip ? { skip: skip[1] } : {}),
        expect: exit ? Number(exit[1]) : 0,
      });
    }
  });
  return out;
}

/** The command as run here: this checkout's CLI for `npx tastebud` and the demo, no `npm install`. */
function translate(code) {
  const command = code.replace(/^npm install && /, "").replace(/^npm run demo(?: --)?/, "npx tastebud demo");
  // The project's own scripts (npm run lint, bash .ci/run) run in the checkout.
  return /^(npm|bash) /.test(command) ? `(\ncd ${quote(root)} || exit 1\n${command}\n)` : command;
}

function quote(s) {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/** Every table with a figure in it must have a command (in backticks) or a test file in the lines above. */
function tablesWithoutCommand() {
  const missing = [];
  for (let k = 0; k < readme.length; k++) {
    if (!readme[k].startsWith("|") || readme[k - 1]?.startsWith("|")) continue;
    let end = k;
    while (readme[end + 1]?.startsWith("|")) end++;
    const body = readme.slice(k + 2, end + 1).join("\n");
    // Figures: decimals, thousands with commas, percentages (not "4-5 liked" in a table of formats).
    if (!/\d\.\d|\d,\d{3}|\d%/.test(body)) continue;
    const before = readme.slice(Math.max(0, k - 14), k).join("\n");
    const named = /`(?:npx |npm |tastebud |node |bash )[^`]*`|`[^`]*\.test\.ts`|bench\/[\w-]+\.ts/.test(before);
    if (!named) missing.push(k + 1);
  }
  return missing;
}

const all = steps();
if (listOnly) {
  for (const s of all) {
    const how = s.skip ? `skip (${s.skip})` : s.kind === "js" ? "node" : `exit ${s.expect}`;
    console.log(`${String(s.line).padStart(4)}  ${how.padEnd(44)} ${s.kind === "js" ? "```js block" : s.code}`);
  }
  process.exit(0);
}

const problems = [];
const untabled = tablesWithoutCommand();
for (const line of untabled) problems.push(`README line ${line}: a table of figures that names no command`);

const cli = join(root, "dist", "cli", "main.js");
if (!existsSync(cli)) {
  console.error(`no ${cli}: run npm run build (or npm ci) first`);
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), "tastebud-readme-"));
// `import ... from "tastebud"` in the js examples finds this checkout.
mkdirSync(join(dir, "node_modules"));
symlinkSync(root, join(dir, "node_modules", "tastebud"), "dir");

const script = [
  "set -u",
  // npx tastebud is this checkout's CLI, never a download.
  `npx() { if [ "$1" = tastebud ]; then shift; node ${quote(cli)} "$@"; else command npx --no-install "$@"; fi; }`,
];
let jsCount = 0;
let run = 0;
for (const s of all) {
  if (s.skip) continue;
  run++;
  let code;
  if (s.kind === "js") {
    const file = `readme-example-${++jsCount}.mjs`;
    writeFileSync(join(dir, file), `${s.code}\n`);
    code = `node ${file}`;
  } else code = translate(s.code);
  script.push(
    `echo ${quote(`$ ${s.kind === "js" ? `(README line ${s.line}, js) ${code}` : s.code}`)} >&2`,
    // On lines of their own: a trailing comment in the command must not swallow the redirection.
    "{",
    code,
    "} > .readme-out 2>&1",
    "rc=$?",
    `if [ "$rc" -ne ${s.expect} ]; then cat .readme-out >&2; echo ${quote(`README line ${s.line}:`)} "exit $rc, expected ${s.expect}" >&2; exit 1; fi`,
    "tail -n 3 .readme-out | sed 's/^/    /' >&2",
  );
}
// The PostgreSQL databases the README's commands create (postgres://.../<name>), dropped before (a run that
// died earlier must not leave its plays in this one's answers) and after: the check leaves nothing behind.
const databases = [
  ...new Set(
    all
      .filter((s) => !s.skip)
      .flatMap((s) => [...s.code.matchAll(/postgres(?:ql)?:\/\/([^\s/]+)\/([A-Za-z_][A-Za-z0-9_]*)/g)])
      .map((m) => JSON.stringify([m[1], m[2]])),
  ),
].map((j) => JSON.parse(j));
async function dropDatabases() {
  if (databases.length === 0) return;
  const { default: pg } = await import("pg");
  for (const [host, name] of databases) {
    const client = new pg.Client({ connectionString: `postgres://${host}/postgres`, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } catch (err) {
      console.error(`could not drop the README's database ${name}: ${err.message}`);
    } finally {
      await client.end().catch(() => {});
    }
  }
}
await dropDatabases();
const started = Date.now();
const result = spawnSync("bash", ["-c", script.join("\n")], { cwd: dir, stdio: "inherit" });
await dropDatabases();
const seconds = ((Date.now() - started) / 1000).toFixed(0);
if (result.status !== 0) problems.push(`a README command failed (above); its folder is kept: ${dir}`);
else rmSync(dir, { recursive: true, force: true });

const skipped = all.filter((s) => s.skip).length;
if (problems.length > 0) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log(`README: ${run} commands ran as written (${skipped} marked not run) in ${seconds} s; every table names its command`);
