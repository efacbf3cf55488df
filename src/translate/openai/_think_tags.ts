/**
 * Reasoning that a model writes inline at the start of its content (`<think>...</think>`, Gemini's
 * `<thought>...</thought>`), separated from the answer: whole ({@linkcode splitThinkTags}) and streamed in
 * fragments that may split a tag anywhere ({@linkcode ThinkTagStream}). Only a tag at the very start counts.
 *
 * @module
 */
import type { StreamEvent } from "../../anthropic/types.ts";

/** The opening and closing tags, in the order they are tried. */
const THINK_TAGS = [["<think>", "</think>"], ["<thought>", "</thought>"]] as const;

/**
 * Splits inline reasoning at the start of a content string from the answer; `undefined` when the content
 * starts otherwise. An unclosed tag (output cut short) makes all of it reasoning.
 *
 * @example
 * ```ts
 * splitThinkTags("<think>\nhmm\n</think>\n\nHi"); // { thinking: "hmm", text: "Hi" }
 * ```
 */
export function splitThinkTags(content: string): { thinking: string; text: string } | undefined {
  const start = content.trimStart();
  for (const [open, close] of THINK_TAGS) {
    if (!start.startsWith(open)) continue;
    const end = start.indexOf(close, open.length);
    if (end < 0) return { thinking: start.slice(open.length).trim(), text: "" };
    return {
      thinking: start.slice(open.length, end).trim(),
      text: start.slice(end + close.length).trimStart(),
    };
  }
  return undefined;
}

/** Where a {@linkcode ThinkTagStream} sends what it separated. */
export interface ThinkTagSink {
  /** Answer text. */
  text(text: string, out: StreamEvent[]): void;
  /** Reasoning text, trimmed of the whitespace that lines up the tags. */
  reasoning(text: string, out: StreamEvent[]): void;
}

/**
 * The streamed form of {@linkcode splitThinkTags}: content fragments in, answer text and reasoning out
 * to a {@linkcode ThinkTagSink}. It holds back only what it must (leading whitespace until the content
 * shows whether it opens with a tag, a suffix that may start the closing tag), so the work per fragment
 * is proportional to the fragment.
 */
export class ThinkTagStream {
  readonly #sink: ThinkTagSink;
  /** "start" until the content shows whether it opens with a tag. */
  #mode: "start" | "think" | "text" = "start";
  /** Content seen in "start" mode. */
  #head = "";
  /** The closing tag being looked for. */
  #close = "";
  /** A suffix of reasoning that may be the start of the closing tag, split across fragments. */
  #tail = "";
  /** No reasoning sent yet: leading whitespace is layout. */
  #thinkFresh = false;
  /** Whitespace held back: it is layout if the closing tag follows, reasoning if more text does. */
  #thinkSpace = "";
  /** The closing tag just passed: leading whitespace of the answer is layout. */
  #textFresh = false;

  /**
   * Starts at the beginning of a message's content.
   *
   * @param sink Where answer text and reasoning go.
   */
  constructor(sink: ThinkTagSink) {
    this.#sink = sink;
  }

  /** One content fragment. */
  content(piece: string, out: StreamEvent[]): void {
    switch (this.#mode) {
      case "text":
        if (this.#textFresh) {
          // The blank lines models put after </think> are layout, not answer.
          const trimmed = piece.trimStart();
          if (trimmed === "") return;
          this.#textFresh = false;
          this.#sink.text(trimmed, out);
        } else this.#sink.text(piece, out);
        return;
      case "think":
        this.#thinkPiece(piece, out);
        return;
      case "start":
        this.#startPiece(piece, out);
        return;
      default: {
        const never: never = this.#mode;
        throw new Error(`Unknown mode: ${String(never)}`);
      }
    }
  }

  /**
   * Reasoning arrived by another way (Gemini's flagged thoughts): whitespace seen so far no longer
   * decides anything.
   */
  reasoningArrived(): void {
    if (this.#mode === "start" && this.#head.trim() === "") this.#head = "";
  }

  /** The content ended: sends whatever is still held back. */
  flush(out: StreamEvent[]): void {
    if (this.#mode === "start" && this.#head.trim() !== "") this.#sink.text(this.#head, out);
    if (this.#mode === "think" && this.#tail !== "") this.#thinking(this.#tail, out);
    this.#head = "";
    this.#tail = "";
  }

  #startPiece(piece: string, out: StreamEvent[]): void {
    this.#head += piece;
    const head = this.#head.trimStart();
    if (head === "") return;
    for (const [open, close] of THINK_TAGS) {
      if (head.startsWith(open)) {
        this.#mode = "think";
        this.#close = close;
        this.#thinkFresh = true;
        this.#head = "";
        this.#thinkPiece(head.slice(open.length), out);
        return;
      }
      if (open.startsWith(head)) return; // could still become the tag: wait for more
    }
    this.#mode = "text";
    this.#head = "";
    this.#sink.text(head, out);
  }

  #thinkPiece(piece: string, out: StreamEvent[]): void {
    const s = this.#tail + piece;
    const end = s.indexOf(this.#close);
    if (end >= 0) {
      this.#thinking(s.slice(0, end), out);
      this.#tail = "";
      this.#thinkSpace = "";
      this.#mode = "text";
      this.#textFresh = true;
      const rest = s.slice(end + this.#close.length);
      if (rest !== "") this.content(rest, out);
      return;
    }
    // Keep back a suffix that may be the start of the closing tag split across chunks.
    let keep = Math.min(this.#close.length - 1, s.length);
    while (keep > 0 && !this.#close.startsWith(s.slice(s.length - keep))) keep--;
    this.#tail = s.slice(s.length - keep);
    this.#thinking(s.slice(0, s.length - keep), out);
  }

  /** Inline reasoning text, trimmed of the whitespace that lines up the tags. */
  #thinking(text: string, out: StreamEvent[]): void {
    let s = text;
    if (this.#thinkFresh) {
      s = s.trimStart();
      if (s === "") return;
      this.#thinkFresh = false;
    }
    const trimmed = s.trimEnd();
    if (trimmed === "") {
      this.#thinkSpace += s;
      return;
    }
    this.#sink.reasoning(this.#thinkSpace + trimmed, out);
    this.#thinkSpace = s.slice(trimmed.length);
  }
}
