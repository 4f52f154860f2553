// A capactif-hub partner client in plain Node (>= 18), with no dependency but the built-in
// `crypto`: RFC 9421 request signatures (Ed25519) with an RFC 9530 Content-Digest, and
// Standard Webhooks `v1a` verification. Written from docs/protocol.md alone.
import crypto from "node:crypto";

const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");

function fromBase64url(text) {
  return Buffer.from(text.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}

export function privateKey(rawBase64url) {
  const der = Buffer.concat([PKCS8_ED25519, fromBase64url(rawBase64url)]);
  return crypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" });
}

export function publicKey(text) {
  // "whpk_<base64>" (Standard Webhooks) or the raw 32 bytes in base64url
  const raw = text.startsWith("whpk_") ? Buffer.from(text.slice(5), "base64") : fromBase64url(text);
  return crypto.createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: "der", type: "spki" });
}

// Headers for one request; `target` is the raw path and query exactly as sent.
export function signRequest(key, keyId, method, target, body) {
  const digest = `sha-256=:${crypto.createHash("sha256").update(body).digest("base64")}:`;
  const created = Math.floor(Date.now() / 1000);
  const nonce = crypto.randomBytes(18).toString("base64url");
  const params = `("@method" "@path" "@query" "content-digest");created=${created};` +
    `keyid="${keyId}";nonce="${nonce}";alg="ed25519"`;
  const q = target.indexOf("?");
  const path = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? "?" : target.slice(q);
  const base = [`"@method": ${method.toUpperCase()}`, `"@path": ${path}`, `"@query": ${query}`,
    `"content-digest": ${digest}`, `"@signature-params": ${params}`].join("\n");
  const signature = crypto.sign(null, Buffer.from(base, "utf8"), key).toString("base64");
  return { "Content-Digest": digest, "Signature-Input": `sig1=${params}`, "Signature": `sig1=:${signature}:` };
}

export async function call(hubUrl, credentials, key, method, target, payload) {
  const body = payload === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(payload));
  const keyId = credentials.token.split(".")[0];
  const headers = { ...signRequest(key, keyId, method, target, body),
    Authorization: `Bearer ${credentials.token}`, "Content-Type": "application/json" };
  const response = await fetch(hubUrl + target, { method, headers, body: body.length ? body : undefined });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

// Standard Webhooks v1a: true when one of the signatures verifies with one of the keys
// and the timestamp is within 300 s.
export function verifyWebhook(headers, body, keys, toleranceS = 300) {
  const id = headers["webhook-id"], timestamp = headers["webhook-timestamp"];
  const signatures = (headers["webhook-signature"] || "").split(" ")
    .filter((s) => s.startsWith("v1a,")).map((s) => Buffer.from(s.slice(4), "base64"));
  if (!id || !/^\d+$/.test(timestamp || "") || signatures.length === 0) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > toleranceS) return false;
  const content = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), body]);
  return keys.some((key) => signatures.some((sig) => crypto.verify(null, content, key, sig)));
}
