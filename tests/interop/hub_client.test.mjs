// @huggingface/hub (npm) against the local Hub: listing, metadata and downloads into its cache.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, readlinkSync, realpathSync, readdirSync, lstatSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

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
