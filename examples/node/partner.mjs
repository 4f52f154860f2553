// The partner flow from docs/partner-guide.md, in Node: fetch the hub's public keys,
// register the information notice (POST /v1/notices), record a consent citing it, push a
// fiche, read a percent-encoded target, and verify the webhook received.
// Usage: node partner.mjs CONFIG.json
//   (hub_url, credentials, notice, consent without its `notice`, fiche, webhook_port)
// Prints one JSON line with what happened.
import fs from "node:fs";
import http from "node:http";
import { call, privateKey, publicKey, verifyWebhook } from "./capactif.mjs";

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const credentials = JSON.parse(fs.readFileSync(config.credentials, "utf8"));
const key = privateKey(credentials.cle_privee);
const report = { webhooks: [] };
let hubKeys = [];
let resolveDelivery;
const delivered = new Promise((resolve) => { resolveDelivery = resolve; });

const server = http.createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const body = Buffer.concat(chunks);
    const verified = verifyWebhook(request.headers, body, hubKeys);
    const tampered = verifyWebhook(request.headers, Buffer.concat([body, Buffer.from(" ")]), hubKeys);
    const document = JSON.parse(body.toString("utf8"));
    report.webhooks.push({ verified, tampered, webhook_id: request.headers["webhook-id"],
      delivery_id: document.delivery_id, evenement: document.evenement });
    response.writeHead(verified ? 200 : 401, { "Content-Type": "application/json" });
    response.end("{}");
    if (verified) resolveDelivery();
  });
});
await new Promise((resolve) => server.listen(config.webhook_port, "127.0.0.1", resolve));

const keys = await (await fetch(`${config.hub_url}/v1/hub-keys`)).json();
hubKeys = keys.cles.map((k) => publicKey(k.whpk));
const notice = await call(config.hub_url, credentials, key, "POST", "/v1/notices", config.notice);
report.notice_status = notice.status;
const cited = { version: notice.json.version, empreinte: notice.json.empreinte };
report.notice_read_status =
  (await call(config.hub_url, credentials, key, "GET", `/v1/notices/${cited.version}`)).status;
const consent = await call(config.hub_url, credentials, key, "POST", "/v1/consents",
  { ...config.consent, notice: cited });
report.consent_status = consent.status;
const push = await call(config.hub_url, credentials, key, "POST", "/v1/fiches", { fiches: [config.fiche] });
report.push_status = push.status;
report.push_results = push.json.results;
const encoded = `/v1/fiches/${credentials.membre}/F%201`;
report.encoded_target_status = (await call(config.hub_url, credentials, key, "GET", encoded)).status;
const timeout = new Promise((resolve) => setTimeout(resolve, config.wait_ms || 60000));
await Promise.race([delivered, timeout]);
server.close();
console.log(JSON.stringify(report));
process.exit(0);
