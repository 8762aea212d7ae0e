// @huggingface/hub (npm) against the local Hub: listing, metadata and downloads into its cache.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, readlinkSync, realpathSync, readdirSync, lstatSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { spawnSync } from "node:child_process";

const hub = await import(pathToFileURL(process.env.HF_HUB_MODULE).href);
const hubUrl = process.env.HUB_URL;
const seed = process.env.SEED_DIR;
const cacheDir = process.env.CACHE_DIR;
const repo = { type: "model", name: "laion/tiny" };

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
const gitBlobSha1 = (bytes) =>
  createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
const seedBytes = (path) => readFileSync(join(seed, path));

test("listFiles follows Link pagination and reports git and LFS ids", async () => {
  const entries = [];
  for await (const entry of hub.listFiles({ repo, recursive: true, hubUrl })) entries.push(entry);
  const files = entries.filter((e) => e.type === "file").map((e) => e.path).sort();
  assert.deepEqual(files, [
    ".gitattributes",
    "README.md",
    "open_clip_config.json",
    "open_clip_model.safetensors",
    "tokenizer/nested/deep.txt",
    "tokenizer/vocab.json",
  ]);
  const dirs = entries.filter((e) => e.type === "directory").map((e) => e.path).sort();
  assert.deepEqual(dirs, ["tokenizer", "tokenizer/nested"]);
  const model = entries.find((e) => e.path === "open_clip_model.safetensors");
  assert.equal(model.lfs.oid, sha256(seedBytes("open_clip_model.safetensors")));
  assert.equal(model.size, seedBytes("open_clip_model.safetensors").length);
  const config = entries.find((e) => e.path === "open_clip_config.json");
  assert.equal(config.oid, gitBlobSha1(seedBytes("open_clip_config.json")));
});

test("modelInfo and pathsInfo agree on the commit", async () => {
  const info = await hub.modelInfo({ name: "laion/tiny", hubUrl, additionalFields: ["sha"] });
  assert.match(info.sha, /^[0-9a-f]{40}$/);
  const paths = await hub.pathsInfo({ repo, paths: ["README.md", "missing.txt"], expand: true, hubUrl });
  assert.equal(paths.length, 1);
  assert.equal(paths[0].lastCommit.id, info.sha);
});

test("downloadFileToCacheDir writes the shared cache layout", async () => {
  const info = await hub.modelInfo({ name: "laion/tiny", hubUrl, additionalFields: ["sha"] });
  for (const [path, etag] of [
    ["open_clip_config.json", gitBlobSha1(seedBytes("open_clip_config.json"))],
    ["open_clip_model.safetensors", sha256(seedBytes("open_clip_model.safetensors"))],
    ["tokenizer/nested/deep.txt", gitBlobSha1(seedBytes("tokenizer/nested/deep.txt"))],
  ]) {
    const pointer = await hub.downloadFileToCacheDir({ repo, path, hubUrl, cacheDir });
    const storage = join(cacheDir, "models--laion--tiny");
    assert.equal(pointer, join(storage, "snapshots", info.sha, path));
    assert.ok(lstatSync(pointer).isSymbolicLink());
    const depth = path.split("/").length;
    assert.equal(readlinkSync(pointer), "../".repeat(depth + 1) + "blobs/" + etag);
    assert.equal(realpathSync(pointer), realpathSync(join(storage, "blobs", etag)));
    assert.deepEqual(readFileSync(pointer), seedBytes(path));
  }
  const blobs = readdirSync(join(cacheDir, "models--laion--tiny", "blobs"));
  assert.equal(blobs.filter((b) => b.endsWith(".incomplete")).length, 0);
});

test("the storage download never carried the token", async () => {
  const path = "open_clip_model.safetensors";
  const blob = await hub.downloadFile({ repo, path, hubUrl, accessToken: "hf_interop" });
  assert.equal(sha256(Buffer.from(await blob.arrayBuffer())), sha256(seedBytes(path)));
  const log = readFileSync(process.env.HUB_LOG, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const cdn = log.filter((l) => l.site === "cdn");
  assert.ok(cdn.length > 0);
  assert.ok(cdn.every((l) => l.authorization === false && l.status < 400), JSON.stringify(cdn));
});

test("whoAmI reads the token's identity", async () => {
  const me = await hub.whoAmI({ accessToken: "hf_interop", hubUrl });
  assert.equal(me.name, "alice");
  assert.equal(me.auth.type, "access_token");
});

const oclip = (args, cache) => {
  const env = { ...process.env, HF_ENDPOINT: hubUrl, HF_HUB_CACHE: cache };
  delete env.HF_TOKEN;
  const run = spawnSync(process.env.OCLIP, args, { env, encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
};
const cdnRequests = () =>
  readFileSync(process.env.HUB_LOG, "utf8").trim().split("\n").filter((l) => JSON.parse(l).site === "cdn").length;

test("oclip uses a cache filled by @huggingface/hub without refetching", async () => {
  const cache = join(cacheDir, "..", "js-first");
  for (const path of ["open_clip_config.json", "open_clip_model.safetensors"]) {
    await hub.downloadFileToCacheDir({ repo, path, hubUrl, cacheDir: cache });
  }
  const before = cdnRequests();
  const pulled = JSON.parse(oclip(["pull", "hf-hub:laion/tiny", "--json"], cache));
  assert.equal(pulled.bytes_fetched, 0);
  assert.equal(cdnRequests(), before);
  assert.deepEqual(pulled.files.map((f) => f.fetched), [false, false]);
});

test("@huggingface/hub reads a cache written by oclip", async () => {
  const cache = join(cacheDir, "..", "oclip-first");
  const snapshot = oclip(["pull", "hf-hub:laion/tiny", "--all"], cache).trim();
  const commit = snapshot.split("/").pop();
  const scan = await hub.scanCacheDir(cache);
  assert.deepEqual(scan.warnings, []);
  assert.equal(scan.repos.length, 1);
  const [cached] = scan.repos;
  assert.equal(cached.id.name, "laion/tiny");
  assert.equal(cached.revisions.length, 1);
  assert.equal(cached.revisions[0].commitOid, commit);
  assert.deepEqual(cached.revisions[0].refs, ["main"]);  // refs/main holds the bare commit id
  // Its scanner looks at the top level of a snapshot only.
  const topLevel = ["open_clip_model.safetensors", "open_clip_config.json", "README.md"];
  assert.equal(cached.size, topLevel.reduce((n, p) => n + seedBytes(p).length, 0) +
    readFileSync(join(snapshot, ".gitattributes")).length);

  const before = readFileSync(process.env.HUB_LOG, "utf8").length;
  const pointer = await hub.downloadFileToCacheDir({ repo, path: "tokenizer/nested/deep.txt", revision: commit, hubUrl, cacheDir: cache });
  assert.equal(pointer, join(snapshot, "tokenizer/nested/deep.txt"));
  assert.equal(readFileSync(process.env.HUB_LOG, "utf8").length, before);  // served from oclip's files
});
