// One file through @huggingface/hub's downloadFileToCacheDir, for bench/pull.sh.
import { pathToFileURL } from "node:url";
const [module, hubUrl, repo, path, cacheDir] = process.argv.slice(2);
const hub = await import(pathToFileURL(module).href);
await hub.downloadFileToCacheDir({ repo: { type: "model", name: repo }, path, hubUrl, cacheDir });
