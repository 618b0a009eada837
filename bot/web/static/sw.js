// The web chat's service worker: only for Web Push. It shows the notification the server
// sends ({"title", "body", "url"}, the same discreet first line a phone shows for Telegram)
// and, when it is pressed, brings the chat forward or opens it. It caches nothing.
"use strict";

const TAG = "peerbot-chat";

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

/** Only an address of this chat: a payload cannot send the person elsewhere. */
function chatUrl(value) {
  const scope = self.registration.scope;
  try {
    const url = new URL(typeof value === "string" ? value : scope, scope);
    return url.origin === self.location.origin ? url.href : scope;
  } catch {
    return scope;
  }
}

self.addEventListener("push", (event) => {
  let payload = {};
  try {
    payload = event.data ? event.data.json() : {};
  } catch {
    payload = {};
  }
  const title = typeof payload.title === "string" ? payload.title : "";
  const body = typeof payload.body === "string" ? payload.body : "";
  event.waitUntil(
    self.registration.showNotification(title, {
      body,
      tag: TAG,
      renotify: true,
      data: { url: chatUrl(payload.url) },
    }),
  );
});

function samePage(clientUrl, target) {
  const a = new URL(clientUrl);
  const b = new URL(target);
  const path = (p) => p.replace(/\/+$/, "");
  return a.origin === b.origin && path(a.pathname) === path(b.pathname);
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = chatUrl(event.notification.data && event.notification.data.url);
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      for (const client of windows) {
        if (samePage(client.url, target) && "focus" in client) return client.focus();
      }
      return self.clients.openWindow(target);
    })(),
  );
});
