// Loaded into decap-server by `site-builder serve --cms` (through NODE_OPTIONS=--require).
//
// decap-server writes wherever it is told inside the site folder and checks nobody: any web page
// the volunteer has open could reach it on 127.0.0.1.  With this guard it answers only serve
// itself: each request must carry serve's per-run token (X-Site-Builder-Token, which no page ever
// sees) and the Host 127.0.0.1:PORT (a page using DNS rebinding sends its own name).  Everything
// else gets 403 before decap-server's code runs.  serve checks that the guard is in place before
// the editor is used (site_builder/cms_local.py; docs/editor.md, "What the local backend trusts").
'use strict';

const http = require('http');
const crypto = require('crypto');

const token = Buffer.from(process.env.SITE_BUILDER_BACKEND_TOKEN || '', 'utf8');
const host = `127.0.0.1:${process.env.PORT}`;

function allowed(req) {
  const given = Buffer.from(String(req.headers['x-site-builder-token'] || ''), 'utf8');
  return token.length >= 32 && req.headers.host === host && given.length === token.length &&
    crypto.timingSafeEqual(given, token);
}

const listen = http.Server.prototype.listen;
http.Server.prototype.listen = function guardedListen(...args) {
  const handlers = this.listeners('request');
  this.removeAllListeners('request');
  this.on('request', (req, res) => {
    if (!allowed(req)) {
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
      res.end('forbidden: this backend answers site-builder serve only\n');
      return;
    }
    for (const handler of handlers) handler.call(this, req, res);
  });
  return listen.apply(this, args);
};

// And it ends with serve: if serve is gone (even killed outright, with no chance to stop it),
// decap-server stops within two seconds instead of holding its port.
const serve = Number(process.env.SITE_BUILDER_SERVE_PID || 0);
if (serve > 0) {
  setInterval(() => {
    try { process.kill(serve, 0); } catch (e) { if (e.code === 'ESRCH') process.exit(0); }
  }, 2000).unref();
}
