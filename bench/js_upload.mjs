// One folder through @huggingface/hub's uploadFiles (one commit), for bench/push.sh.
import { pathToFileURL } from "node:url";
import { readdirSync } from "node:fs";
import { join } from "node:path";
const [module, hubUrl, repo, folder, accessToken] = process.argv.slice(2);
const hub = await import(pathToFileURL(module).href);
await hub.createRepo({ repo: { type: "model", name: repo }, accessToken, hubUrl });
const files = readdirSync(folder).map((name) => ({ path: name, content: pathToFileURL(join(folder, name)) }));
await hub.uploadFiles({ repo: { type: "model", name: repo }, accessToken, hubUrl, files });
