// Runs a generated backend/events.js in Node as Velo would: for every fixture
// `<VeloHandler>.<n>.json`, calls the exported function of that name with the event
// object, one after the other. Prints one JSON document on stdout:
//   { "results": [{ "file", "handler", "ok", "error" }], "requests": [{ "url", "headers", "body" }] }
// (`requests`: what wix-fetch sent, for replay tests). Exit code 0 whatever the outcomes:
// the caller judges them.
//
// Usage: node run-velo.mjs EVENTS_JS FIXTURE_DIR
// The Wix-only imports of events.js (wix-fetch, wix-secrets-backend) must resolve to
// ./velo-stubs (the caller copies them into a node_modules next to events.js).
import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [eventsJs, fixtureDir] = process.argv.slice(2);
if (!eventsJs || !fixtureDir) {
  console.error("usage: node run-velo.mjs EVENTS_JS FIXTURE_DIR");
  process.exit(2);
}
const events = await import(pathToFileURL(resolve(eventsJs)).href);
const files = (await readdir(fixtureDir)).filter((file) => file.endsWith(".json")).sort();
const results = [];
for (const file of files) {
  const handler = file.split(".")[0];
  const event = JSON.parse(await readFile(join(fixtureDir, file), "utf8"));
  const forward = events[handler];
  if (typeof forward !== "function") {
    results.push({ file, handler, ok: false, error: `events.js exports no ${handler}` });
    continue;
  }
  try {
    await forward(event);
    results.push({ file, handler, ok: true, error: null });
  } catch (error) {
    results.push({ file, handler, ok: false, error: String(error && error.message ? error.message : error) });
  }
}
console.log(JSON.stringify({ results, requests: globalThis.wixEventsRequests || [] }));
