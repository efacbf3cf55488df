/**
 * The command line: flags over the file over the environment, which file is read, help and version.
 */
import assert from "node:assert/strict";
import { type FileAccess, helpText, parseCommandLine } from "../src/cli.ts";
import { ConfigError } from "../src/config.ts";
import { VERSION } from "../src/version.ts";

const FILE = JSON.stringify({
  backends: { local: { type: "openai", baseUrl: "http://127.0.0.1:11434/v1", model: "qwen3-coder:30b" } },
});

// Files by path; `reads` lists every path read, so a test sees which file was chosen.
function files(contents: Record<string, string>, readable = Object.keys(contents)) {
  const reads: string[] = [];
  const access: FileAccess = {
    readTextFile(path) {
      reads.push(path);
      const text = contents[path];
      if (text === undefined) throw new Deno.errors.NotFound(`no ${path}`);
      return text;
    },
    readable: (path) => readable.includes(path),
  };
  return { access, reads };
}

function serve(args: string[], env: Record<string, string>, access: FileAccess) {
  const command = parseCommandLine(args, env, access, VERSION);
  assert.equal(command.kind, "serve");
  if (command.kind !== "serve") throw new Error("unreachable");
  return command;
}

Deno.test("parseCommandLine()", async (t) => {
  await t.step("no file: the environment as before", () => {
    const { access, reads } = files({});
    const c = serve(
      [],
      { LLM_BACKEND: "openai_compatible", OPENAI_BASE_URL: "http://127.0.0.1:1/v1" },
      access,
    );
    assert.deepEqual(Object.keys(c.config.backends), ["openai_compatible"]);
    assert.equal(c.configFile, undefined);
    assert.deepEqual(reads, []);
  });

  await t.step("./relayx.json when it is readable; its backends replace the environment's", () => {
    const { access, reads } = files({ "relayx.json": FILE });
    // OPENAI_API_KEY would be required for openai; the file's backends make LLM_BACKEND irrelevant.
    const c = serve(
      [],
      { LLM_BACKEND: "openai_compatible", OPENAI_BASE_URL: "https://api.openai.com/v1" },
      access,
    );
    assert.deepEqual(Object.keys(c.config.backends), ["local"]);
    assert.equal(c.configFile, "relayx.json");
    assert.deepEqual(reads, ["relayx.json"]);
  });

  await t.step("RELAYX_CONFIG over ./relayx.json, --config over both", () => {
    const other = FILE.replace('"local"', '"other"');
    const third = FILE.replace('"local"', '"third"');
    const { access } = files({ "relayx.json": FILE, "/etc/relayx.json": other, "mine.json": third });
    const env = { RELAYX_CONFIG: "/etc/relayx.json" };
    assert.deepEqual(Object.keys(serve([], env, access).config.backends), ["other"]);
    assert.deepEqual(Object.keys(serve(["--config", "mine.json"], env, access).config.backends), ["third"]);
  });

  await t.step("--port and --host override SERVER_PORT and HOST, with or without a file", () => {
    const env = { SERVER_PORT: "8000", HOST: "localhost" };
    for (const access of [files({}).access, files({ "relayx.json": FILE }).access]) {
      const c = serve(["--port", "9001", "--host", "127.0.0.2"], env, access);
      assert.equal(c.config.port, 9001);
      assert.equal(c.config.host, "127.0.0.2");
    }
    assert.equal(serve([], env, files({}).access).config.port, 8000);
  });

  await t.step("--host beyond loopback still needs RELAYX_API_KEY", () => {
    assert.throws(
      () => parseCommandLine(["--host", "0.0.0.0"], {}, files({}).access, VERSION),
      (e) => e instanceof ConfigError && e.message.startsWith("--host: "),
    );
  });

  await t.step("errors name the flag or the file", () => {
    const cases: [string[], Record<string, string>, Record<string, string>, string][] = [
      [["--config", "gone.json"], {}, {}, "--config: cannot read gone.json (NotFound)"],
      [[], { RELAYX_CONFIG: "gone.json" }, {}, "RELAYX_CONFIG: cannot read gone.json (NotFound)"],
      [["--verbose"], {}, {}, "command line: Unknown option '--verbose'"],
      [["--port", "x"], {}, {}, '--port: expected a port number, got "x"'],
      [[], { SERVER_PORT: "x" }, {}, 'SERVER_PORT: expected a port number, got "x"'],
      [["--port", "x"], {}, { "relayx.json": FILE }, '--port: expected a port number, got "x"'],
      [
        [],
        {},
        { "relayx.json": '{"backends":{"a":{"type":"openai","model":"${M}"}}}' },
        "relayx.json: backends.a.model: environment variable M is not set",
      ],
    ];
    for (const [args, env, contents, message] of cases) {
      assert.throws(() => parseCommandLine(args, env, files(contents).access, VERSION), (e) => {
        assert.ok(e instanceof ConfigError);
        assert.equal(e.message.split(" (file")[0], message);
        return true;
      });
    }
  });

  await t.step("--help lists every setting, --version the version", () => {
    const help = parseCommandLine(["--help"], {}, files({}).access, VERSION);
    assert.equal(help.kind, "help");
    assert.equal(help.kind === "help" && help.text, helpText(VERSION));
    const version = parseCommandLine(["--version"], {}, files({}).access, VERSION);
    assert.deepEqual(version, { kind: "version", text: `relayx ${VERSION}` });
  });
});

Deno.test("helpText() names every environment variable relayx reads, within 80 columns", async () => {
  const text = helpText(VERSION);
  for (const line of text.split("\n")) assert.ok(line.length <= 80, line);
  const sources = ["../src/config.ts", "../src/limits.ts"];
  const names = new Set<string>();
  for (const file of sources) {
    const source = await Deno.readTextFile(new URL(file, import.meta.url));
    for (const m of source.matchAll(/env\.([A-Z_]+)|"(RELAYX_[A-Z_]+)"/g)) names.add(m[1] ?? m[2] ?? "");
  }
  assert.ok(names.size > 25, `found ${names.size}`);
  for (const name of names) assert.match(text, new RegExp(`\\b${name}\\b`), `--help misses ${name}`);
});

Deno.test("VERSION is deno.json's version", async () => {
  const json: { version: string } = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  );
  assert.equal(VERSION, json.version);
});
