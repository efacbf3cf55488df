/**
 * The content-block bookkeeping both stream translators share: Anthropic needs blocks opened and closed
 * in order with contiguous indexes, while upstreams interleave text, reasoning and tool-call fragments.
 *
 * @module
 */
import type { StreamEvent } from "../anthropic/types.ts";

/** The kind of block that is open. */
export type OpenBlock = "text" | "thinking" | "tool_use" | "redacted_thinking";

/**
 * Opens and closes Anthropic content blocks as upstream fragments arrive, pushing the events into `out`.
 * A fragment of another kind (or another tool call) closes the open block first.
 */
export class BlockSequencer {
  #index = -1;
  #open: OpenBlock | undefined;
  #key: string | number | undefined;
  #blocks = 0;
  #toolCalls = 0;
  #signed = false;
  readonly #unsignedThinking: string | undefined;

  /**
   * @param options.unsignedThinking A signature to close a thinking block with when the upstream sent
   * none: clients expect one on every thinking block (Anthropic's SDK and Claude Code keep it for the next
   * turn).
   */
  constructor(options: { unsignedThinking?: string } = {}) {
    this.#unsignedThinking = options.unsignedThinking;
  }

  /** The kind of the open block, if any. */
  get open(): OpenBlock | undefined {
    return this.#open;
  }
  /** The upstream key (tool-call index, Bedrock block index) of the open block. */
  get openKey(): string | number | undefined {
    return this.#key;
  }
  /** How many blocks have been started. */
  get blockCount(): number {
    return this.#blocks;
  }
  /** How many tool_use blocks have been started. */
  get toolCallCount(): number {
    return this.#toolCalls;
  }

  /** Closes the open block, if any. */
  close(out: StreamEvent[]): void {
    if (this.#open === undefined) return;
    if (this.#open === "thinking" && !this.#signed && this.#unsignedThinking !== undefined) {
      out.push({
        type: "content_block_delta",
        index: this.#index,
        delta: { type: "signature_delta", signature: this.#unsignedThinking },
      });
    }
    out.push({ type: "content_block_stop", index: this.#index });
    this.#open = undefined;
    this.#key = undefined;
  }

  #start(kind: OpenBlock, key: string | number | undefined): void {
    this.#signed = false;
    this.#index++;
    this.#blocks++;
    this.#open = kind;
    this.#key = key;
  }

  /** Appends text, opening a text block when another kind (or another upstream block) is open. */
  text(text: string, out: StreamEvent[], key?: string | number): void {
    if (this.#open !== "text" || this.#key !== key) {
      this.close(out);
      this.#start("text", key);
      out.push({
        type: "content_block_start",
        index: this.#index,
        content_block: { type: "text", text: "" },
      });
    }
    if (text !== "") {
      out.push({ type: "content_block_delta", index: this.#index, delta: { type: "text_delta", text } });
    }
  }

  /** Appends reasoning, opening a thinking block when needed. */
  thinking(thinking: string, out: StreamEvent[], key?: string | number): void {
    if (this.#open !== "thinking" || this.#key !== key) {
      this.close(out);
      this.#start("thinking", key);
      out.push({
        type: "content_block_start",
        index: this.#index,
        content_block: { type: "thinking", thinking: "", signature: "" },
      });
    }
    if (thinking !== "") {
      out.push({
        type: "content_block_delta",
        index: this.#index,
        delta: { type: "thinking_delta", thinking },
      });
    }
  }

  /** Sends the signature of the open thinking block (opening an empty one if none is open). */
  signature(signature: string, out: StreamEvent[], key?: string | number): void {
    if (this.#open !== "thinking") this.thinking("", out, key);
    this.#signed = true;
    out.push({
      type: "content_block_delta",
      index: this.#index,
      delta: { type: "signature_delta", signature },
    });
  }

  /** Emits a complete redacted_thinking block. */
  redacted(data: string, out: StreamEvent[]): void {
    this.close(out);
    this.#start("redacted_thinking", undefined);
    out.push({
      type: "content_block_start",
      index: this.#index,
      content_block: { type: "redacted_thinking", data },
    });
    this.close(out);
  }

  /** Starts a tool_use block. */
  toolStart(id: string, name: string, out: StreamEvent[], key?: string | number): void {
    this.close(out);
    this.#start("tool_use", key);
    this.#toolCalls++;
    out.push({
      type: "content_block_start",
      index: this.#index,
      content_block: { type: "tool_use", id, name, input: {} },
    });
  }

  /** Appends a fragment of the open tool call's JSON arguments. */
  toolArgs(partialJson: string, out: StreamEvent[]): void {
    if (partialJson === "" || this.#open !== "tool_use") return;
    out.push({
      type: "content_block_delta",
      index: this.#index,
      delta: { type: "input_json_delta", partial_json: partialJson },
    });
  }
}
