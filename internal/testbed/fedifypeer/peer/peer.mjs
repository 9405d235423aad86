// peer.mjs runs a small Fedify server on 127.0.0.1 for fedsite's interop
// tests. It has one actor, alice, records every activity its inbox receives,
// and offers a JSON control API under /_control/. A second actor, relay, only
// signs the requests that forward alice's activities (POST /_control/forward).
//
// Usage: node peer.mjs [port]   (or env PORT; 0 or unset: any free port)
// Once listening it prints one line to stdout:
//   {"ready":true,"url":"http://127.0.0.1:PORT"}
import http from "node:http";
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { configure, getLogger } from "@logtape/logtape";
import {
  createFederation,
  fetchKey,
  generateCryptoKeyPair,
  hasProofLike,
  MemoryKvStore,
  signJsonLd,
  signRequest,
  verifyObject,
} from "@fedify/fedify";
import {
  Accept,
  Activity,
  Announce,
  Create,
  Delete,
  Endpoints,
  Follow,
  isActor,
  Move,
  Multikey,
  Note,
  Person,
  PUBLIC_COLLECTION,
  QuoteAuthorization,
  QuoteRequest,
  Reject,
  Service,
  Undo,
  Update,
} from "@fedify/vocab";

const HOST = "127.0.0.1";
const USER = "alice";
const RELAY = "relay";
const MAX_LOG = 500;
const MAX_BODY = 1 << 20;

// State of this one process: what the Go side asks about.
const received = []; // activities the inbox accepted or refused
const logLines = []; // warnings and errors, newest last
const followers = new Map(); // actor id -> inbox id
const following = new Map(); // actor id -> {follow, state}

function note(level, category, message) {
  logLines.push({ time: new Date().toISOString(), level, category, message });
  if (logLines.length > MAX_LOG) logLines.shift();
  process.stderr.write(`${level} ${category}: ${message}\n`);
}

function renderMessage(parts) {
  return parts
    .map((p, i) => {
      if (i % 2 === 0) return p;
      if (typeof p === "string") return p;
      if (p instanceof Error) return p.stack ?? String(p);
      try {
        return JSON.stringify(p);
      } catch {
        return String(p);
      }
    })
    .join("");
}

await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: {
    memory(record) {
      note(record.level, record.category.join("."), renderMessage(record.message));
    },
  },
  loggers: [
    { category: "fedify", lowestLevel: "warning", sinks: ["memory"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["memory"] },
  ],
});
const log = getLogger(["fedsite", "peer"]);

// Keys are made fresh at every start: RSA-2048 for HTTP signatures (Fedify's
// generateCryptoKeyPair would make 4096 bits, slower and not what most
// servers use), Ed25519 for Object Integrity Proofs.
function rsa2048() {
  return crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
}
const keyPairs = [await rsa2048(), await generateCryptoKeyPair("Ed25519")];

// relay's key: RSA-2048, for the HTTP signatures of forwarded activities.
const relayKeyPairs = [await rsa2048()];

const federation = createFederation({
  kv: new MemoryKvStore(),
  // The peers under test listen on loopback, which Fedify refuses by default.
  allowPrivateAddress: true,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier === RELAY) {
      const [key] = await ctx.getActorKeyPairs(identifier);
      return new Service({
        id: ctx.getActorUri(identifier),
        preferredUsername: identifier,
        name: "Relay (Fedify peer)",
        inbox: ctx.getInboxUri(identifier),
        publicKey: key.cryptographicKey,
      });
    }
    if (identifier !== USER) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Alice (Fedify peer)",
      summary: "Interop test actor for fedsite.",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      following: ctx.getFollowingUri(identifier),
      url: ctx.getActorUri(identifier),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) =>
    identifier === USER ? keyPairs : identifier === RELAY ? relayKeyPairs : []
  );

federation.setFollowersDispatcher(
  "/users/{identifier}/followers",
  (_ctx, identifier) => {
    if (identifier !== USER) return null;
    const items = [...followers].map(([id, inbox]) => ({
      id: new URL(id),
      inboxId: new URL(inbox),
      endpoints: null,
    }));
    return { items };
  },
);

federation.setFollowingDispatcher(
  "/users/{identifier}/following",
  (_ctx, identifier) => {
    if (identifier !== USER) return null;
    const items = [...following]
      .filter(([, f]) => f.state === "accepted")
      .map(([id]) => new URL(id));
    return { items };
  },
);

async function record(activity, verified, reason) {
  let document = null;
  try {
    document = await activity.toJsonLd();
  } catch (e) {
    note("error", "fedsite.peer", `toJsonLd: ${e}`);
  }
  received.push({
    type: document?.type ?? activity.constructor.name,
    id: activity.id?.href ?? "",
    actor: activity.actorId?.href ?? "",
    verified,
    ...(reason ? { reason } : {}),
    receivedAt: new Date().toISOString(),
    document,
  });
}

// moveFollow follows a Move of an actor the peer follows as Mastodon's
// ActivityPub::Activity::Move and UnfollowFollowWorker do: the Move's object
// must be its actor (the signer, who moved); the target, fetched, must list
// that actor in alsoKnownAs; then the peer follows the target and undoes its
// Follow of the actor that moved. Any other Move is only recorded.
async function moveFollow(ctx, move) {
  const origin = move.actorId?.href ?? "";
  const f = following.get(origin);
  if (f == null || f.state !== "accepted") return;
  if (move.objectId?.href !== origin || move.targetId == null) {
    note("warning", "fedsite.peer", `Move ${move.id?.href}: object is not its actor`);
    return;
  }
  const target = await lookupActor(ctx, move.targetId.href);
  if (!target.aliasIds.some((u) => u.href === origin)) {
    note("warning", "fedsite.peer", `Move ${move.id?.href}: ${target.id?.href} does not list ${origin} in alsoKnownAs`);
    return;
  }
  const moved = await lookupActor(ctx, origin);
  const id = new URL(`/activities/${randomUUID()}`, ctx.origin);
  following.delete(origin);
  following.set(target.id.href, { follow: id.href, state: "pending", movedFrom: origin });
  await ctx.sendActivity(
    { identifier: USER },
    target,
    new Follow({ id, actor: ctx.getActorUri(USER), object: target.id }),
  );
  await ctx.sendActivity(
    { identifier: USER },
    moved,
    new Undo({
      id: new URL(`/activities/${randomUUID()}`, ctx.origin),
      actor: ctx.getActorUri(USER),
      object: new Follow({ id: new URL(f.follow), actor: ctx.getActorUri(USER), object: moved.id }),
    }),
  );
}

// followOf returns the Follow id an Accept/Reject/Undo points at, if any.
function objectIdOf(activity) {
  return activity.objectId?.href ?? "";
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    await record(follow, true);
    const follower = await follow.getActor(ctx);
    if (follower == null || follower.id == null || follower.inboxId == null) {
      note("warning", "fedsite.peer", `Follow ${follow.id?.href}: actor not found`);
      return;
    }
    const target = ctx.parseUri(follow.objectId);
    if (target?.type !== "actor" || target.identifier !== USER) return;
    followers.set(follower.id.href, follower.inboxId.href);
    await ctx.sendActivity(
      { identifier: USER },
      follower,
      new Accept({
        id: new URL(`/activities/${randomUUID()}`, ctx.origin),
        actor: ctx.getActorUri(USER),
        object: follow,
      }),
    );
  })
  .on(Accept, async (_ctx, accept) => {
    await record(accept, true);
    for (const [, f] of following) {
      if (f.follow === objectIdOf(accept)) f.state = "accepted";
    }
  })
  .on(Reject, async (_ctx, reject) => {
    await record(reject, true);
    for (const [, f] of following) {
      if (f.follow === objectIdOf(reject)) f.state = "rejected";
    }
  })
  .on(Undo, async (ctx, undo) => {
    await record(undo, true);
    const object = await undo.getObject(ctx);
    if (object instanceof Follow && undo.actorId != null) {
      followers.delete(undo.actorId.href);
    }
  })
  .on(Create, (_ctx, a) => record(a, true))
  .on(Update, (_ctx, a) => record(a, true))
  .on(Delete, (_ctx, a) => record(a, true))
  .on(Announce, (_ctx, a) => record(a, true))
  .on(Move, async (ctx, move) => {
    await record(move, true);
    await moveFollow(ctx, move);
  })
  // Every other verified type (Like, …) lands here.
  .on(Activity, (_ctx, a) => record(a, true))
  .onUnverifiedActivity(async (_ctx, activity, reason) => {
    await record(activity, false, reason?.type ?? "unknown");
    note("warning", "fedsite.peer", `unverified ${activity.id?.href}: ${JSON.stringify(reason, (_k, v) => v instanceof Error ? String(v) : v)}`);
    // Returning nothing keeps Fedify's 401.
  })
  .onError((_ctx, error) => {
    note("error", "fedsite.peer", `inbox: ${error?.stack ?? error}`);
  });

// --- control API -----------------------------------------------------------

function json(status, body) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

async function lookupActor(ctx, url) {
  const actor = await ctx.lookupObject(url);
  if (actor == null) throw new Error(`lookup ${url}: nothing found`);
  if (!isActor(actor)) throw new Error(`lookup ${url}: not an actor`);
  if (actor.inboxId == null) throw new Error(`lookup ${url}: actor has no inbox`);
  return actor;
}

async function control(request, url) {
  const ctx = federation.createContext(new URL(url.origin), undefined);
  const route = `${request.method} ${url.pathname}`;
  switch (route) {
    case "GET /_control/inbox":
      return json(200, received);
    case "GET /_control/log":
      return json(200, logLines);
    case "GET /_control/state":
      return json(200, {
        actor: ctx.getActorUri(USER).href,
        followers: [...followers.keys()],
        following: [...following].map(([actor, f]) => ({ actor, ...f })),
      });
    case "POST /_control/follow": {
      const { actor: actorUrl } = await request.json();
      const actor = await lookupActor(ctx, actorUrl);
      const id = new URL(`/activities/${randomUUID()}`, ctx.origin);
      following.set(actor.id.href, { follow: id.href, state: "pending" });
      await ctx.sendActivity(
        { identifier: USER },
        actor,
        new Follow({ id, actor: ctx.getActorUri(USER), object: actor.id }),
      );
      return json(200, { id: id.href });
    }
    case "POST /_control/send": {
      const { to, activity: doc } = await request.json();
      if (doc == null || typeof doc !== "object") {
        return json(400, { error: "activity must be a JSON object" });
      }
      const filled = { ...doc };
      filled["@context"] ??= "https://www.w3.org/ns/activitystreams";
      filled.actor ??= ctx.getActorUri(USER).href;
      filled.id ??= new URL(`/activities/${randomUUID()}`, ctx.origin).href;
      const activity = await Activity.fromJsonLd(filled, ctx);
      const actor = await lookupActor(ctx, to);
      await ctx.sendActivity({ identifier: USER }, actor, activity);
      return json(200, { id: activity.id?.href ?? filled.id });
    }
    case "POST /_control/forward": {
      // An activity of alice's with her Linked Data Signature, delivered to
      // the shared inbox (else the inbox) of `to` with an HTTP signature by
      // relay, as Mastodon forwards replies. With `tamper`, the object's
      // content is changed after signing.
      const { to, activity: doc, tamper } = await request.json();
      if (doc == null || typeof doc !== "object") {
        return json(400, { error: "activity must be a JSON object" });
      }
      const filled = { ...doc };
      filled["@context"] ??= [
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
      ];
      filled.actor ??= ctx.getActorUri(USER).href;
      filled.id ??= new URL(`/activities/${randomUUID()}`, ctx.origin).href;
      const [aliceKey] = await ctx.getActorKeyPairs(USER);
      const signed = await signJsonLd(filled, aliceKey.privateKey, aliceKey.keyId, {
        contextLoader: ctx.contextLoader,
      });
      if (tamper) {
        if (typeof signed.object?.content !== "string") {
          return json(400, { error: "tamper needs an object with content" });
        }
        signed.object = { ...signed.object, content: signed.object.content + " (changed)" };
      }
      const actor = await lookupActor(ctx, to);
      const inbox = actor.endpoints?.sharedInbox ?? actor.inboxId;
      const [relayKey] = await ctx.getActorKeyPairs(RELAY);
      const req = await signRequest(
        new Request(inbox, {
          method: "POST",
          headers: { "content-type": "application/activity+json" },
          body: JSON.stringify(signed),
        }),
        relayKey.privateKey,
        relayKey.keyId,
      );
      const res = await fetch(req);
      await res.arrayBuffer();
      return json(200, { id: filled.id, status: res.status });
    }
    case "POST /_control/quote": {
      // A public Note of alice quoting object (FEP-044f), sent embedded in a
      // QuoteRequest to the inbox of the actor at to.
      const { to, object, content } = await request.json();
      const actor = await lookupActor(ctx, to);
      const noteId = new URL(`/notes/${randomUUID()}`, ctx.origin);
      const id = new URL(`/activities/${randomUUID()}`, ctx.origin);
      const quoting = new Note({
        id: noteId,
        attribution: ctx.getActorUri(USER),
        to: PUBLIC_COLLECTION,
        content: content ?? "",
        quote: new URL(object),
      });
      await ctx.sendActivity(
        { identifier: USER },
        actor,
        new QuoteRequest({
          id,
          actor: ctx.getActorUri(USER),
          object: new URL(object),
          instrument: quoting,
        }),
      );
      return json(200, { id: id.href, note: noteId.href });
    }
    case "POST /_control/verify-quote": {
      // The answer to the QuoteRequest request: for an Accept, its result
      // fetched by id and read as a QuoteAuthorization, as a quoting server
      // verifies the stamp before it shows the quote.
      const { request: requestId } = await request.json();
      const answer = received.find((r) =>
        (r.type === "Accept" || r.type === "Reject") &&
        (r.document?.object === requestId || r.document?.object?.id === requestId)
      );
      if (answer == null) return json(404, { error: `no answer to ${requestId}` });
      const out = { answer: answer.type, verified: answer.verified };
      if (answer.type !== "Accept") return json(200, out);
      const result = answer.document?.result;
      const resultId = typeof result === "string" ? result : result?.id;
      if (resultId == null) return json(200, { ...out, error: "Accept without a result" });
      const auth = await ctx.lookupObject(resultId);
      if (!(auth instanceof QuoteAuthorization)) {
        return json(200, { ...out, error: `${resultId} is not a QuoteAuthorization` });
      }
      return json(200, {
        ...out,
        authorization: auth.id?.href ?? "",
        attributedTo: auth.attributionId?.href ?? "",
        interactingObject: auth.interactingObjectId?.href ?? "",
        interactionTarget: auth.interactionTargetId?.href ?? "",
      });
    }
    case "POST /_control/verify-proof": {
      // Fedify's own check of Object Integrity Proofs (FEP-8b32): every proof
      // must verify, its key fetched through the document loader, and
      // authenticate the activity's actor.
      const { document } = await request.json();
      if (document == null || typeof document !== "object") {
        return json(400, { error: "document must be a JSON object" });
      }
      if (!hasProofLike(document)) {
        return json(200, { verified: false, reason: "noProof" });
      }
      const verified = await verifyObject(Activity, document, {
        contextLoader: ctx.contextLoader,
        documentLoader: ctx.documentLoader,
      });
      if (verified != null) return json(200, { verified: true });
      // Say whether the keys could be had, to tell a bad proof from a key
      // Fedify cannot read.
      const options = { contextLoader: ctx.contextLoader, documentLoader: ctx.documentLoader };
      const activity = await Activity.fromJsonLd(document, options);
      for await (const proof of activity.getProofs(options)) {
        if (proof.verificationMethodId == null) continue;
        const { key } = await fetchKey(proof.verificationMethodId, Multikey, options);
        if (key == null) {
          return json(200, { verified: false, reason: `keyUnavailable ${proof.verificationMethodId.href}` });
        }
      }
      return json(200, { verified: false, reason: "invalidProof" });
    }
  }
  return json(404, { error: `no route ${route}` });
}

// --- Node HTTP glue --------------------------------------------------------

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error("request body too large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function handle(req, res, origin) {
  const url = new URL(req.url, origin);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const request = new Request(url, {
    method: req.method,
    headers,
    body: hasBody ? await readBody(req) : undefined,
  });
  let response;
  try {
    response = url.pathname.startsWith("/_control/")
      ? await control(request, url)
      : await federation.fetch(request, { contextData: undefined });
  } catch (e) {
    note("error", "fedsite.peer", `${req.method} ${url.pathname}: ${e?.stack ?? e}`);
    response = json(500, { error: String(e?.message ?? e) });
  }
  res.statusCode = response.status;
  response.headers.forEach((v, k) => res.setHeader(k, v));
  res.end(Buffer.from(await response.arrayBuffer()));
}

const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
const server = http.createServer((req, res) => {
  handle(req, res, origin).catch((e) => {
    note("error", "fedsite.peer", `handler: ${e?.stack ?? e}`);
    if (!res.headersSent) res.statusCode = 500;
    res.end();
  });
});
let origin = "";
server.listen(port, HOST, () => {
  origin = `http://${HOST}:${server.address().port}`;
  log.info("listening on {origin}", { origin });
  process.stdout.write(JSON.stringify({ ready: true, url: origin }) + "\n");
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
