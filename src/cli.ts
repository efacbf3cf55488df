/**
 * The command line: `--config`, `--port`, `--host`, `--help`, `--version`, and where the configuration
 * comes from (flags over the configuration file over the environment). File access is passed in, so that
 * this stays testable and relayx reads only the file it is told about.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type Config, parseConfig, parseServerConfig } from "./config.ts";
import { ConfigError } from "./config_error.ts";
import { parseConfigFile } from "./config_file.ts";

/** What the command line asks for. */
export type Command =
  | { kind: "serve"; config: Config; configFile?: string }
  | { kind: "help"; text: string }
  | { kind: "version"; text: string };

/** How the command line reaches files. */
export interface FileAccess {
  /** The text of a file; throws when it cannot be read. */
  readTextFile(path: string): string;
  /** True when a file exists and may be read (false without read permission: then there is no file). */
  readable(path: string): boolean;
}

/** The file read when neither `--config` nor `RELAYX_CONFIG` names one, if it exists. */
export const DEFAULT_CONFIG_FILE = "relayx.json";

const SETTINGS: readonly (readonly [string, string, string])[] = [
  ["--config PATH", "RELAYX_CONFIG", "./relayx.json if it exists"],
  ["--host HOST", "HOST", "127.0.0.1"],
  ["--port PORT", "SERVER_PORT", "8082"],
  ["", "RELAYX_API_KEY", "none (required beyond loopback)"],
  ["", "LOG_FORMAT", "json (json, text, off)"],
  ["", "LLM_BACKEND", "bedrock (or openai_compatible)"],
  ["", "OPENAI_BASE_URL", "Gemini's OpenAI endpoint"],
  ["", "OPENAI_API_KEY", "none"],
  ["", "OPENAI_PROVIDER", "from the base URL"],
  ["", "OPENAI_MODEL", "gemini-2.0-flash"],
  ["", "OPENAI_SMALL_MODEL", "OPENAI_MODEL"],
  ["", "MAX_OUTPUT_TOKENS", "the model's cap"],
  ["", "AWS_REGION", "AWS_DEFAULT_REGION, else us-east-1"],
  ["", "AWS_PROFILE", "saml"],
  ["", "BEDROCK_API", "auto (auto, invoke, converse)"],
  ["", "BEDROCK_MODEL_ID", "by the requested Claude name"],
  ["", "BEDROCK_SMALL_MODEL_ID", "by the requested Claude name"],
  ["", "WEB_SEARCH_PROVIDER", "none (searxng, brave, tavily)"],
  ["", "WEB_SEARCH_URL", "required for searxng"],
  ["", "WEB_SEARCH_API_KEY", "required for brave, tavily"],
  ["", "RELAYX_UPSTREAM_CONNECT_TIMEOUT", "10 s"],
  ["", "RELAYX_UPSTREAM_HEADERS_TIMEOUT", "600 s"],
  ["", "RELAYX_UPSTREAM_IDLE_TIMEOUT", "300 s"],
  ["", "RELAYX_PING_INTERVAL", "15 s"],
  ["", "RELAYX_HEADER_TIMEOUT", "30 s"],
  ["", "RELAYX_BODY_TIMEOUT", "60 s"],
  ["", "RELAYX_KEEPALIVE_TIMEOUT", "75 s"],
  ["", "RELAYX_MAX_CONNECTIONS", "1024"],
  ["", "RELAYX_MAX_HEADER_BYTES", "65536"],
  ["", "RELAYX_MAX_MODEL_LENGTH", "512"],
  ["", "RELAYX_SHUTDOWN_TIMEOUT", "30 s"],
  ["", "RELAYX_ALLOWED_HOSTS", "none besides loopback names"],
  ["", "RELAYX_CORS_ORIGINS", "none"],
  ["", "RELAYX_GUARD", "on beyond loopback (on, off)"],
  ["", "RELAYX_TOKENIZER_MAX_CHARS", "2000000"],
  ["", "RELAYX_TOKENIZER_TIMEOUT", "5 s"],
  ["", "RELAYX_TOKENIZER_QUEUE", "16"],
  ["", "RELAYX_TOKENIZER_IDLE_TIMEOUT", "60 s"],
  ["", "RELAYX_PDF_TEXT_MAX_CHARS", "200000"],
];

/** The `--help` text: every setting with its flag, environment name and default (under 80 columns). */
export function helpText(version: string): string {
  const lines = [
    `relayx ${version}: the Anthropic Messages API in front of Bedrock,`,
    "OpenAI-compatible and Anthropic-format backends.",
    "",
    "Usage: relayx [--config PATH] [--host HOST] [--port PORT] | --help | --version",
    "Flags override the file, which overrides the environment.",
    "",
  ];
  for (const [flag, env, fallback] of SETTINGS) {
    lines.push(`  ${(flag ? `${flag}, ${env}` : env).padEnd(34)} ${fallback}`);
  }
  return lines.join("\n");
}

function fileText(path: string, source: string, files: FileAccess): string {
  try {
    return files.readTextFile(path);
  } catch (err) {
    const why = err instanceof Error ? err.name : "unreadable";
    // Deno's permission errors: say which flag grants exactly this file.
    const hint = why === "NotCapable" || why === "PermissionDenied"
      ? `: run with --allow-read=${path}`
      : ` (${why})`;
    throw new ConfigError(`${source}: cannot read ${path}${hint}`);
  }
}

// A bad --port or --host value is named as the flag the user typed, not as the variable it overrides.
function byFlag<T>(flags: { port?: string; host?: string }, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (flags.port !== undefined && err.message.startsWith("SERVER_PORT:")) {
      throw new ConfigError(`--port:${err.message.slice("SERVER_PORT:".length)}`);
    }
    if (flags.host !== undefined && err.message.startsWith("HOST:")) {
      throw new ConfigError(`--host:${err.message.slice("HOST:".length)}`);
    }
    throw err;
  }
}

/**
 * Reads the command line and builds the configuration: the server's settings from the environment with
 * `--host`/`--port` on top, and the backends from the configuration file when there is one (`--config`,
 * else `RELAYX_CONFIG`, else `relayx.json` if readable), else from the environment as before.
 *
 * @example `--port` overrides SERVER_PORT
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const none: FileAccess = { readTextFile: () => "", readable: () => false };
 * const command = parseCommandLine(["--port", "9000"], { SERVER_PORT: "8000" }, none, "0.3.0");
 * assert.equal(command.kind === "serve" && command.config.port, 9000);
 * ```
 * @throws {ConfigError} naming the flag, variable or path in the file that is wrong.
 */
export function parseCommandLine(
  args: string[],
  env: Record<string, string | undefined>,
  files: FileAccess,
  version: string,
): Command {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: "string" },
        port: { type: "string" },
        host: { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
    }));
  } catch (err) {
    throw new ConfigError(`command line: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (values.help) return { kind: "help", text: helpText(version) };
  if (values.version) return { kind: "version", text: `relayx ${version}` };
  const merged = { ...env };
  if (values.port !== undefined) merged.SERVER_PORT = values.port;
  if (values.host !== undefined) merged.HOST = values.host;
  const flagged = { port: values.port, host: values.host };
  const named = values.config ?? (env.RELAYX_CONFIG?.trim() || undefined);
  const path = named ?? (files.readable(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (path === undefined) return { kind: "serve", config: byFlag(flagged, () => parseConfig(merged)) };
  const source = values.config !== undefined ? "--config" : named !== undefined ? "RELAYX_CONFIG" : path;
  const text = fileText(path, source, files);
  const server = byFlag(flagged, () => parseServerConfig(merged));
  try {
    return { kind: "serve", config: { ...server, ...parseConfigFile(text, env) }, configFile: path };
  } catch (err) {
    // Name the file in front of the path inside it: `relayx.json: routes[1].to[0]: ...`.
    throw err instanceof ConfigError ? new ConfigError(`${path}: ${err.message}`) : err;
  }
}
