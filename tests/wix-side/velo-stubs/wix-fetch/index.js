// Stands in for Velo's `wix-fetch` when a generated backend/events.js runs in Node:
// Node's own fetch, with every request also recorded (globalThis.wixEventsRequests) so
// that a test can replay one later.
export async function fetch(url, options = {}) {
  const headers = { ...(options.headers || {}) };
  (globalThis.wixEventsRequests ||= []).push({ url: String(url), headers, body: options.body });
  return globalThis.fetch(url, options);
}
