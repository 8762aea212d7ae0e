// Uploads both ways through the local Hub: what oclip pushes, @huggingface/hub (npm) reads back
// byte for byte; what @huggingface/hub uploads, oclip pulls, and then has nothing to push.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync, mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { spawnSync } from "node:child_process";

const hub = await import(pathToFileURL(process.env.HF_HUB_MODULE).href);
const hubUrl = process.env.HUB_URL;
const accessToken = "hf_interop";
const work = process.env.WORK_DIR;

const filesUnder = (dir) =>
  readdirSync(dir, { recursive: true })
    .filter((p) => statSync(join(dir, p)).isFile())
    .map((p) => relative(dir, join(dir, p)))
    .sort();

const oclip = (args) => {
  const env = { ...process.env, HF_ENDPOINT: hubUrl, HF_TOKEN: accessToken, HF_HUB_CACHE: join(work, "oclip-cache") };
  const run = spawnSync(process.env.OCLIP, args, { env, encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
};

for (const [name, folder] of [["converted", process.env.CONVERTED_DIR], ["synthetic", process.env.PUSH_DIR]]) {
  test(`@huggingface/hub downloads the ${name} folder oclip pushed, byte for byte`, async () => {
    const repo = { type: "model", name: `alice/${name}` };
    const pushed = JSON.parse(oclip(["push", folder, "--repo-id", repo.name, "--json", "--license", "mit"]));
    assert.equal(pushed.committed, true);
    const listed = [];
    for await (const entry of hub.listFiles({ repo, recursive: true, hubUrl, accessToken })) {
      if (entry.type === "file") listed.push(entry.path);
    }
    const local = filesUnder(folder);
    assert.deepEqual(listed.sort(), [".gitattributes", "README.md", ...local].sort());
    for (const path of local) {
      const blob = await hub.downloadFile({ repo, path, hubUrl, accessToken });
      assert.deepEqual(Buffer.from(await blob.arrayBuffer()), readFileSync(join(folder, path)), path);
    }
    const readme = await (await hub.downloadFile({ repo, path: "README.md", hubUrl, accessToken })).text();
    assert.match(readme, /^---\n(.*\n)*library_name: open_clip\n(.*\n)*license: mit\n/);
  });
}

test("oclip pulls what @huggingface/hub uploaded, then has nothing to push", async () => {
  const repo = { type: "model", name: "alice/from-js" };
  await hub.createRepo({ repo, accessToken, hubUrl });
  const weights = new Uint8Array(2_600_000).map((_, i) => (i * 31 + (i >> 9)) & 255);  // multipart
  const files = {
    "open_clip_config.json": new TextEncoder().encode('{"model_cfg": {"embed_dim": 8}, "preprocess_cfg": {}}'),
    "open_clip_model.safetensors": weights,
    "README.md": new TextEncoder().encode("---\nlicense: mit\nlibrary_name: open_clip\n---\n# from js\n"),
    "tokenizer/vocab.json": new TextEncoder().encode('{"a": 0}'),
  };
  await hub.uploadFiles({
    repo, accessToken, hubUrl,
    files: Object.entries(files).map(([path, bytes]) => ({ path, content: new Blob([bytes]) })),
  });
  const snapshot = oclip(["pull", `hf-hub:${repo.name}`, "--all"]).trim();
  for (const [path, bytes] of Object.entries(files)) {
    assert.deepEqual(readFileSync(join(snapshot, path)), Buffer.from(bytes), path);
  }
  // The same files pushed from a local copy: every oid matches, so no bytes and no commit;
  // the README the repo has is kept as it is.
  const copy = join(work, "from-js-copy");
  for (const [path, bytes] of Object.entries(files)) {
    mkdirSync(join(copy, path, ".."), { recursive: true });
    writeFileSync(join(copy, path), bytes);
  }
  const again = JSON.parse(oclip(["push", copy, "--repo-id", repo.name, "--json"]));
  assert.equal(again.committed, false);
  assert.equal(again.bytes_sent, 0);
  assert.equal(again.readme, "kept");
  assert.deepEqual(again.files.map((f) => f.action), ["unchanged", "unchanged", "unchanged"]);
});
