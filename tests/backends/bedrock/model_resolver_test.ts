import assert from "node:assert/strict";
import { createModelResolver } from "../../../src/backends/bedrock/model_resolver.ts";
import {
  foundationIdFor,
  geographiesOf,
  type InferenceProfile,
  matchProfile,
  namingRuleId,
  newestProfile,
} from "../../../src/backends/bedrock/profiles.ts";
import { parseClaudeName } from "../../../src/anthropic/claude_names.ts";

const sys = (id: string, status = "ACTIVE"): InferenceProfile => ({
  id,
  type: "SYSTEM_DEFINED",
  status,
  modelArns: [`arn:aws:bedrock:us-east-1::foundation-model/${id.replace(/^[a-z-]+\./, "")}`],
});

// What ListInferenceProfiles returns in us-east-1 (trimmed), plus an application profile and a legacy one.
const US_EAST_1: InferenceProfile[] = [
  sys("us.anthropic.claude-3-5-sonnet-20240620-v1:0"),
  sys("us.anthropic.claude-3-5-sonnet-20241022-v2:0"),
  sys("us.anthropic.claude-3-7-sonnet-20250219-v1:0"),
  sys("us.anthropic.claude-sonnet-4-20250514-v1:0"),
  sys("us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
  sys("global.anthropic.claude-sonnet-4-5-20250929-v1:0"),
  sys("global.anthropic.claude-sonnet-5-5"),
  sys("us.anthropic.claude-sonnet-5"),
  sys("us.anthropic.claude-haiku-4-5-20251001-v1:0"),
  sys("global.anthropic.claude-haiku-4-5-20251001-v1:0"),
  sys("us.anthropic.claude-opus-4-1-20250805-v1:0"),
  sys("us.anthropic.claude-opus-4-6-v1"),
  sys("global.anthropic.claude-opus-5-5"),
  sys("us.anthropic.claude-opus-5-5"),
  sys("us.anthropic.claude-opus-4-5-20251101-v1:0", "LEGACY"),
  sys("us.amazon.nova-pro-v1:0"),
  {
    id: "a1b2c3d4e5f6",
    type: "APPLICATION",
    status: "ACTIVE",
    modelArns: ["arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-opus-4-5-20251101-v1:0"],
  },
];

const EU_WEST_1: InferenceProfile[] = [
  sys("eu.anthropic.claude-sonnet-4-5-20250929-v1:0"),
  sys("global.anthropic.claude-sonnet-4-5-20250929-v1:0"),
  sys("eu.anthropic.claude-haiku-4-5-20251001-v1:0"),
  sys("global.anthropic.claude-opus-5-5"),
];

Deno.test("parseClaudeName() reads both naming schemes", async (t) => {
  const cases: [string, ReturnType<typeof parseClaudeName>][] = [
    ["claude-opus-5-5", { tier: "opus", major: 5, minor: 5 }],
    ["claude-sonnet-4-5-20250929", { tier: "sonnet", major: 4, minor: 5, date: "20250929" }],
    ["claude-haiku-4-5", { tier: "haiku", major: 4, minor: 5 }],
    ["claude-3-7-sonnet-20250219", { tier: "sonnet", major: 3, minor: 7, date: "20250219" }],
    ["claude-sonnet-4-20250514", { tier: "sonnet", major: 4, date: "20250514" }],
    ["claude-opus-5", { tier: "opus", major: 5 }],
    ["claude-3-haiku-20240307", { tier: "haiku", major: 3, date: "20240307" }],
    ["claude-3-5-sonnet-latest", { tier: "sonnet", major: 3, minor: 5 }],
    ["claude-sonnet-4-5[1m]", { tier: "sonnet", major: 4, minor: 5 }],
    ["anthropic.claude-3-5-sonnet-20241022-v2:0", {
      tier: "sonnet",
      major: 3,
      minor: 5,
      date: "20241022",
      revision: 2,
    }],
    ["claude-opus-4-6-v1", { tier: "opus", major: 4, minor: 6, revision: 1 }],
    ["gpt-4o", undefined],
    ["claude", undefined],
  ];
  for (const [name, want] of cases) {
    await t.step(name, () => assert.deepEqual(parseClaudeName(name), want));
  }
});

Deno.test("geographiesOf() gives the region's profile prefixes, most specific first", () => {
  assert.deepEqual(geographiesOf("us-east-1"), ["us"]);
  assert.deepEqual(geographiesOf("us-gov-west-1"), ["us-gov"]);
  assert.deepEqual(geographiesOf("ca-central-1"), ["us"]);
  assert.deepEqual(geographiesOf("eu-central-1"), ["eu"]);
  assert.deepEqual(geographiesOf("ap-northeast-1"), ["jp", "apac"]);
  assert.deepEqual(geographiesOf("ap-southeast-2"), ["au", "apac"]);
  assert.deepEqual(geographiesOf("ap-south-1"), ["apac"]);
  assert.deepEqual(geographiesOf("me-central-1"), []);
});

Deno.test("matchProfile() picks the account's profile by tier, version and geography", async (t) => {
  const match = (name: string, list = US_EAST_1, region = "us-east-1") =>
    matchProfile(parseClaudeName(name)!, list, region);

  await t.step("the region's geography wins over global", () => {
    assert.equal(match("claude-opus-5-5"), "us.anthropic.claude-opus-5-5");
    assert.equal(match("claude-sonnet-4-5-20250929"), "us.anthropic.claude-sonnet-4-5-20250929-v1:0");
  });
  await t.step("global when the geography has no profile of that model", () => {
    assert.equal(match("claude-sonnet-5-5"), "global.anthropic.claude-sonnet-5-5");
    assert.equal(match("claude-opus-5-5", EU_WEST_1, "eu-west-1"), "global.anthropic.claude-opus-5-5");
  });
  await t.step("an undated name takes the newest snapshot", () => {
    assert.equal(match("claude-3-5-sonnet"), "us.anthropic.claude-3-5-sonnet-20241022-v2:0");
    assert.equal(match("claude-haiku-4-5"), "us.anthropic.claude-haiku-4-5-20251001-v1:0");
  });
  await t.step("a dated name takes its own snapshot", () => {
    assert.equal(match("claude-3-5-sonnet-20240620"), "us.anthropic.claude-3-5-sonnet-20240620-v1:0");
    assert.equal(match("claude-3-7-sonnet-20250219"), "us.anthropic.claude-3-7-sonnet-20250219-v1:0");
  });
  await t.step("major-only and .0 names are the same version", () => {
    assert.equal(match("claude-sonnet-4-20250514"), "us.anthropic.claude-sonnet-4-20250514-v1:0");
    assert.equal(match("claude-sonnet-4-0"), "us.anthropic.claude-sonnet-4-20250514-v1:0");
    assert.equal(match("claude-sonnet-5"), "us.anthropic.claude-sonnet-5");
  });
  await t.step("eu region gets eu profiles", () => {
    assert.equal(
      match("claude-haiku-4-5", EU_WEST_1, "eu-west-1"),
      "eu.anthropic.claude-haiku-4-5-20251001-v1:0",
    );
  });
  await t.step("inactive and application profiles are not picked; absent versions are undefined", () => {
    assert.equal(match("claude-opus-4-5"), undefined);
    assert.equal(match("claude-opus-4-8"), undefined);
  });
  await t.step("newestProfile() finds the newest of a tier", () => {
    assert.equal(newestProfile("sonnet", US_EAST_1, "us-east-1"), "global.anthropic.claude-sonnet-5-5");
    assert.equal(newestProfile("opus", US_EAST_1, "us-east-1"), "us.anthropic.claude-opus-5-5");
    assert.equal(newestProfile("haiku", [], "us-east-1"), undefined);
  });
});

Deno.test("namingRuleId() builds Bedrock ids when the account's profiles cannot be listed", () => {
  const id = (name: string, region = "us-east-1") => namingRuleId(parseClaudeName(name)!, region);
  assert.equal(id("claude-sonnet-4-5-20250929"), "us.anthropic.claude-sonnet-4-5-20250929-v1:0");
  assert.equal(id("claude-sonnet-4-5"), "us.anthropic.claude-sonnet-4-5-20250929-v1:0");
  assert.equal(id("claude-haiku-4-5", "eu-west-3"), "eu.anthropic.claude-haiku-4-5-20251001-v1:0");
  assert.equal(id("claude-3-7-sonnet-20250219"), "us.anthropic.claude-3-7-sonnet-20250219-v1:0");
  assert.equal(id("claude-3-5-sonnet-20240620"), "us.anthropic.claude-3-5-sonnet-20240620-v1:0");
  assert.equal(
    id("claude-3-5-haiku-20241022", "ap-northeast-1"),
    "jp.anthropic.claude-3-5-haiku-20241022-v1:0",
  );
  assert.equal(id("claude-opus-4-6"), "us.anthropic.claude-opus-4-6-v1");
  assert.equal(id("claude-opus-5-5"), "us.anthropic.claude-opus-5-5");
  assert.equal(id("claude-sonnet-5", "me-central-1"), "global.anthropic.claude-sonnet-5");
  assert.equal(id("claude-opus-4-1"), "us.anthropic.claude-opus-4-1-20250805-v1:0");
  assert.equal(
    foundationIdFor(parseClaudeName("claude-sonnet-4-0")!),
    "anthropic.claude-sonnet-4-20250514-v1:0",
  );
});

Deno.test("createModelResolver() maps client names to Bedrock ids", async (t) => {
  await t.step("explicit Bedrock ids and ARNs pass through unchanged", async () => {
    let listed = 0;
    const r = createModelResolver({
      region: "us-east-1",
      listProfiles: () => {
        listed++;
        return Promise.resolve(US_EAST_1);
      },
    });
    for (
      const id of [
        "amazon.nova-pro-v1:0",
        "meta.llama3-3-70b-instruct-v1:0",
        "us.anthropic.claude-opus-5-5",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
      ]
    ) {
      assert.equal(await r.resolve(id), id);
    }
    assert.equal(listed, 0);
  });

  await t.step("Claude names resolve through the listed profiles, listed once", async () => {
    let listed = 0;
    const r = createModelResolver({
      region: "us-east-1",
      listProfiles: () => {
        listed++;
        return Promise.resolve(US_EAST_1);
      },
    });
    const [a, b] = await Promise.all([r.resolve("claude-opus-5-5"), r.resolve("claude-haiku-4-5")]);
    assert.equal(a, "us.anthropic.claude-opus-5-5");
    assert.equal(b, "us.anthropic.claude-haiku-4-5-20251001-v1:0");
    assert.equal(
      await r.resolve("claude-sonnet-4-5-20250929"),
      "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    );
    assert.equal(listed, 1);
  });

  await t.step("haiku names go to the small model when one is configured", async () => {
    const r = createModelResolver({
      region: "us-east-1",
      smallModelId: "amazon.nova-micro-v1:0",
      listProfiles: () => Promise.resolve(US_EAST_1),
    });
    assert.equal(await r.resolve("claude-haiku-4-5"), "amazon.nova-micro-v1:0");
    assert.equal(await r.resolve("claude-3-5-haiku-20241022"), "amazon.nova-micro-v1:0");
    assert.equal(await r.resolve("claude-opus-5-5"), "us.anthropic.claude-opus-5-5");
  });

  await t.step(
    "unmatched names go to BEDROCK_MODEL_ID, else the family's newest, else Sonnet",
    async () => {
      const configured = createModelResolver({
        region: "us-east-1",
        modelId: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        listProfiles: () => Promise.resolve(US_EAST_1),
      });
      assert.equal(
        await configured.resolve("claude-opus-4-8"),
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
      );
      assert.equal(await configured.defaultModel(), "us.anthropic.claude-sonnet-4-5-20250929-v1:0");
      const unset = createModelResolver({
        region: "us-east-1",
        listProfiles: () => Promise.resolve(US_EAST_1),
      });
      // Without BEDROCK_MODEL_ID, a missing version goes to the newest of its family.
      assert.equal(await unset.resolve("claude-opus-4-8"), "us.anthropic.claude-opus-5-5");
      assert.equal(await unset.resolve("claude-fable-5"), "global.anthropic.claude-sonnet-5-5");
      assert.equal(await unset.resolve("claude-instant"), "global.anthropic.claude-sonnet-5-5");
      assert.equal(await unset.defaultModel(), "global.anthropic.claude-sonnet-5-5");
    },
  );

  await t.step(
    "a failed listing (AccessDenied) falls back to naming rules and is retried later",
    async () => {
      let clock = 0;
      let calls = 0;
      let fail = true;
      const r = createModelResolver({
        region: "eu-west-1",
        now: () => clock,
        retryAfterMs: 1000,
        listProfiles: () => {
          calls++;
          if (fail) {
            const err = new Error("User is not authorized to perform: bedrock:ListInferenceProfiles");
            err.name = "AccessDeniedException";
            return Promise.reject(err);
          }
          return Promise.resolve(EU_WEST_1);
        },
      });
      assert.equal(await r.resolve("claude-opus-5-5"), "eu.anthropic.claude-opus-5-5");
      assert.equal(await r.defaultModel(), "eu.anthropic.claude-sonnet-5-5");
      assert.match((await r.listing()).error ?? "", /^AccessDeniedException: User is not authorized/);
      assert.equal(calls, 1);
      fail = false;
      clock = 5000;
      // The retry runs in the background; the request that triggered it still gets the naming rule.
      assert.equal(await r.resolve("claude-opus-5-5"), "eu.anthropic.claude-opus-5-5");
      await r.settled();
      assert.equal(calls, 2);
      assert.equal(await r.resolve("claude-opus-5-5"), "global.anthropic.claude-opus-5-5");
    },
  );

  await t.step("non-Claude names without a dot pass through", async () => {
    const r = createModelResolver({ region: "us-east-1" });
    assert.equal(await r.resolve("gpt-oss"), "gpt-oss");
  });
});
