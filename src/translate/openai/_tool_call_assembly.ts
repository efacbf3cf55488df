/**
 * Tool calls of an OpenAI-compatible stream, assembled from their fragments into tool_use blocks: which
 * call a fragment belongs to, whether a call's arguments are complete JSON, when a call may open its block
 * and when it must wait (buffered, sent whole at the end), and its Anthropic id.
 *
 * @module
 */
import type { StreamEvent } from "../../anthropic/types.ts";
import type { BlockSequencer } from "../_blocks.ts";
import { isRecord } from "../_json.ts";
import type { FromOpenAIOptions } from "./from_openai.ts";
import { type ReasoningCarry, thoughtSignatureOf } from "./_reasoning_carry.ts";
import { toolUseId } from "./_openai_tool_use.ts";

/** Tracks whether a JSON text streamed in fragments is complete (brackets balanced, no open string). */
export class JsonBalance {
  #depth = 0;
  #inString = false;
  #escape = false;
  #started = false;

  /** One more fragment of the text. */
  feed(s: string): void {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (this.#inString) {
        if (this.#escape) this.#escape = false;
        else if (c === 92 /* \ */) this.#escape = true;
        else if (c === 34 /* " */) this.#inString = false;
      } else if (c === 34) this.#inString = true;
      else if (c === 123 /* { */ || c === 91 /* [ */) {
        this.#depth++;
        this.#started = true;
      } else if (c === 125 /* } */ || c === 93 /* ] */) this.#depth--;
    }
  }

  /** True once a value opened and everything it opened is closed. */
  get complete(): boolean {
    return this.#started && this.#depth <= 0 && !this.#inString;
  }
}

/** One tool call being assembled. */
export interface Call {
  /** The upstream's index, or a made-up key for calls that come without a usable one. */
  key: number | string;
  /** The upstream's id, once a fragment carried one. */
  upstreamId?: string;
  /** The Anthropic id, fixed when the call is started. */
  id?: string;
  /** The upstream tool name, once a fragment carried one. */
  name?: string;
  /** Arguments received but not yet sent. */
  args: string;
  /** Pending (not started), open (its tool_use block is the open block) or closed. */
  state: "pending" | "open" | "closed";
  /** Whether the arguments sent so far are complete JSON. */
  json: JsonBalance;
  /** Gemini's thought signature for the call. */
  signature?: string;
}

/** The translator that owns the block sequence: it makes way for each tool_use block. */
export interface ToolBlockHost {
  /** Closes the open block before a tool_use block opens (and sends what must ride before the first). */
  beforeToolBlock(out: StreamEvent[]): void;
}

/** The tool calls of one streamed message. */
export class ToolCallAssembly {
  readonly #calls: Call[] = [];
  readonly #byKey = new Map<number | string, Call>();
  readonly #usedIds = new Set<string>();
  readonly #opts: FromOpenAIOptions;
  readonly #seq: BlockSequencer;
  readonly #carry: ReasoningCarry;
  readonly #host: ToolBlockHost;
  #buffering: boolean;
  #open: Call | undefined;
  /** Characters of arguments received (for a usage estimate). */
  argChars = 0;

  /**
   * Starts the books of one message.
   *
   * @param opts The stream's options (ids, tool names, warnings).
   * @param seq The block sequence tool_use blocks go into.
   * @param carry Where thought signatures go once their call has its Anthropic id.
   * @param host Makes way for each tool_use block.
   * @param buffering Whether to hold every call until the end from the start (Gemini: see openai_stream.ts).
   */
  constructor(
    opts: FromOpenAIOptions,
    seq: BlockSequencer,
    carry: ReasoningCarry,
    host: ToolBlockHost,
    buffering: boolean,
  ) {
    this.#opts = opts;
    this.#seq = seq;
    this.#carry = carry;
    this.#host = host;
    this.#buffering = buffering;
  }

  /** True while the open call's arguments are incomplete: opening any other block would cut them. */
  get openIncomplete(): boolean {
    return this.#open !== undefined && !this.#open.json.complete;
  }

  /** One `tool_calls` item of a delta. */
  fragment(tc: Record<string, unknown>, out: StreamEvent[]): void {
    const fn = isRecord(tc.function) ? tc.function : undefined;
    const call = this.#record(tc, fn);
    const raw = fn?.arguments;
    const args = typeof raw === "string" ? raw : isRecord(raw) ? JSON.stringify(raw) : "";
    this.argChars += args.length;
    switch (call.state) {
      case "open":
        if (args !== "") {
          this.#seq.toolArgs(args, out);
          call.json.feed(args);
        }
        return;
      case "closed":
        if (args.trim() !== "") {
          this.#opts.warn(`Arguments that arrived after a ${call.name} tool call ended were dropped`);
        }
        return;
      case "pending":
        call.args += args;
        if (this.#mayStart(call)) {
          this.#assignId(call);
          this.#start(call, out);
        }
        return;
      default: {
        const never: never = call.state;
        throw new Error(`Unknown call state: ${String(never)}`);
      }
    }
  }

  /** The open call's block was closed. */
  closeOpen(): void {
    if (this.#open === undefined) return;
    this.#open.state = "closed";
    this.#open = undefined;
  }

  /** The stream ended: sends the calls that never started (buffered ones), whole, in arrival order. */
  finish(out: StreamEvent[]): void {
    const buffered = this.#calls.filter((c) => c.state === "pending");
    for (const call of buffered) if (call.name !== undefined) this.#assignId(call);
    for (const call of buffered) {
      if (call.name === undefined) {
        this.#opts.warn("A tool call without a name was dropped");
        continue;
      }
      this.#start(call, out);
    }
  }

  /** The call a fragment belongs to, with the fragment's id, name and thought signature recorded. */
  #record(tc: Record<string, unknown>, fn: Record<string, unknown> | undefined): Call {
    const call = this.#resolve(tc);
    if (call.upstreamId === undefined && typeof tc.id === "string" && tc.id !== "") call.upstreamId = tc.id;
    if (call.name === undefined && typeof fn?.name === "string" && fn.name !== "") call.name = fn.name;
    const signature = thoughtSignatureOf(tc);
    if (signature !== undefined) {
      call.signature = signature;
      if (call.id !== undefined) this.#carry.addSignature(call.id, signature);
    }
    return call;
  }

  /**
   * Whether a pending call may open its block now. Calls start in arrival order, and never while the open
   * one is incomplete: either case switches to buffering, and the buffered calls are sent whole at the end.
   */
  #mayStart(call: Call): boolean {
    if (this.#buffering || call.name === undefined) return false;
    const earlierPending = this.#calls.some((c) => c !== call && c.state === "pending");
    if (earlierPending || this.openIncomplete) {
      this.#buffering = true;
      return false;
    }
    return true;
  }

  /** Gives the call its Anthropic id, once; its thought signature can travel from then on. */
  #assignId(call: Call): void {
    if (call.id !== undefined) return;
    const id = toolUseId(call.upstreamId, this.#usedIds, this.#opts.ids);
    call.id = id;
    if (call.signature !== undefined) this.#carry.addSignature(id, call.signature);
  }

  #start(call: Call, out: StreamEvent[]): void {
    this.#host.beforeToolBlock(out);
    this.#seq.toolStart(
      call.id ?? this.#opts.ids.toolUseId(),
      this.#opts.names.fromUpstream(call.name ?? ""),
      out,
      call.key,
    );
    call.state = "open";
    this.#open = call;
    if (call.args !== "") {
      this.#seq.toolArgs(call.args, out);
      call.json.feed(call.args);
      call.args = "";
    }
  }

  #resolve(tc: Record<string, unknown>): Call {
    const id = typeof tc.id === "string" && tc.id !== "" ? tc.id : undefined;
    let call: Call | undefined;
    if (typeof tc.index === "number") {
      call = this.#byKey.get(tc.index);
      // Some servers send every whole call at index 0; a different id there is a new call.
      if (call !== undefined && id !== undefined && call.upstreamId !== undefined && id !== call.upstreamId) {
        call = undefined;
      }
    } else if (id !== undefined) {
      call = this.#calls.find((c) => c.upstreamId === id);
    } else if (!isRecord(tc.function) || typeof tc.function.name !== "string") {
      // No index, no id, no name: a late piece (a thought signature) of the last call.
      call = this.#calls[this.#calls.length - 1];
    }
    if (call !== undefined) return call;
    const key = typeof tc.index === "number" && !this.#byKey.has(tc.index)
      ? tc.index
      : `#${this.#calls.length}`;
    call = { key, args: "", state: "pending", json: new JsonBalance() };
    this.#calls.push(call);
    if (typeof tc.index === "number") this.#byKey.set(tc.index, call);
    return call;
  }
}
