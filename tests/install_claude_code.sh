#!/usr/bin/env sh
# Installs the pinned Claude Code CLI (a native binary inside the npm package) for the end-to-end tests,
# once, outside the repository. Prints nothing when it is already there.
set -eu
VERSION=2.1.332
DIR="${RELAYX_CLAUDE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/relayx/claude-code-$VERSION}"
BIN="$DIR/node_modules/.bin/claude"
if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q "^$VERSION "; then exit 0; fi
echo "installing @anthropic-ai/claude-code@$VERSION into $DIR"
mkdir -p "$DIR"
cd "$DIR"
npm install --no-save --no-audit --no-fund "@anthropic-ai/claude-code@$VERSION" >/dev/null 2>&1 ||
  npm install --no-save --no-audit --no-fund --allow-scripts=@anthropic-ai/claude-code "@anthropic-ai/claude-code@$VERSION"
# The postinstall links the platform binary over bin/claude.exe; run it again if npm skipped scripts.
"$BIN" --version >/dev/null 2>&1 || node node_modules/@anthropic-ai/claude-code/install.cjs
"$BIN" --version
