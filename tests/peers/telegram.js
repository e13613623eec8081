// Starts telegram-test-api on 127.0.0.1 with the fixes teloxide needs, prints
// "listening http://127.0.0.1:PORT" and runs until its stdin closes (so it dies with the tests).
//
// What is patched, and why (the emulator's own routes stay for everything else):
// - tokens: real Telegram answers 401 to tokens it never issued. Here every well-formed token is
//   "issued" except those whose secret part starts with "revoked".
// - getMe: the emulator returns three fields; teloxide needs the full bot User + capabilities.
// - getUpdates: the emulator ignores `offset` and `timeout` and forgets an update once returned.
//   Here updates stay until confirmed by a higher offset (as on Telegram), and the call waits up
//   to `timeout` seconds for news (long polling instead of a busy loop).
// - sendMessage: the result carries `date` in seconds and `from` (the bot), like Telegram's.
// - getWebhookInfo, sendChatAction, setMyCommands, deleteWebhook, answerCallbackQuery: answer
//   `true`/info instead of 500 or null.
// - setWebhook: keeps `secret_token` and sends it in X-Telegram-Bot-Api-Secret-Token.
// - callback queries get the `chat_instance` field Telegram always sends.
// - POST /_kanava/flood {token, count, retry_after}: the next `count` sendMessage calls of that
//   bot get 429 Too Many Requests (so tests can check RetryAfter is honoured);
//   POST /_kanava/flood/state {token} tells how many were refused so far.
// - setMyCommands is recorded per language; POST /_kanava/commands {token} returns the menus.
'use strict';
// Only the first stdout line is read by the tests; the emulators' chatter would fill the pipe.
console.log = () => {};
const http = require('http');
const express = require('express');
const axios = require('axios');
const multer = require('multer');
const TelegramServer = require('telegram-test-api');

const port = Number(process.argv[2] || 0);
const srv = new TelegramServer({ port, host: '127.0.0.1', storage: 'RAM', storeTimeout: 24 * 3600 });
const BOT = { id: 666, is_bot: true, first_name: 'Kanava', username: 'KanavaTestBot' };
const floods = {}; // token -> { count, retryAfter }
const webhooks = {};

const originalFormat = TelegramServer.formatUpdate;
TelegramServer.formatUpdate = (update) => {
  const out = originalFormat(update);
  if (out.callback_query) out.callback_query.chat_instance = String(update.callbackQuery.from.id);
  return out;
};

srv.addUserUpdate = async function addUserUpdate(update) {
  const hook = webhooks[update.botToken];
  if (hook) {
    const headers = hook.secret ? { 'X-Telegram-Bot-Api-Secret-Token': hook.secret } : {};
    const resp = await axios({ url: hook.url, method: 'POST', data: TelegramServer.formatUpdate(update), headers, validateStatus: () => true });
    if (resp.status > 204) throw new Error(`webhook answered ${resp.status}`);
  } else {
    this.storage.userMessages.push(update);
  }
  this.updateId++;
};

const front = express();
front.use(express.json());
front.use(express.urlencoded({ extended: true }));
// teloxide sends some methods (setWebhook) as multipart/form-data.
front.use(multer().none());
const params = (req) => Object.assign({}, req.query, req.body);
const ok = (res, result) => res.json({ ok: true, result });

front.all('/bot:token/:method', (req, res, next) => {
  const [id, secret] = String(req.params.token).split(':');
  if (!/^\d+$/.test(id || '') || !/^[A-Za-z0-9_-]+$/.test(secret || '') || secret.startsWith('revoked')) {
    return res.status(401).json({ ok: false, error_code: 401, description: 'Unauthorized' });
  }
  next();
});

front.all('/bot:token/getMe', (_req, res) => ok(res, Object.assign({}, BOT, {
  can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false,
  can_connect_to_business: false, has_main_web_app: false,
})));

const newsEvents = ['AddedUserMessage', 'AddedUserCommand', 'AddedUserCallbackQuery'];
front.all('/bot:token/getUpdates', async (req, res) => {
  const p = params(req);
  const token = req.params.token;
  const offset = p.offset === undefined ? undefined : Number(p.offset);
  const timeout = Math.min(Number(p.timeout || 0), 50);
  const limit = Math.min(Math.max(Number(p.limit || 100), 1), 100);
  if (offset !== undefined) {
    srv.storage.userMessages = srv.storage.userMessages.filter((u) => !(u.botToken === token && u.updateId < offset));
  }
  const pending = () => srv.storage.userMessages
    .filter((u) => u.botToken === token && (offset === undefined || u.updateId >= offset))
    .sort((a, b) => a.updateId - b.updateId)
    .slice(0, limit);
  let list = pending();
  if (list.length === 0 && timeout > 0) {
    await new Promise((resolve) => {
      const done = () => { clearTimeout(timer); newsEvents.forEach((e) => srv.off(e, done)); req.off('close', done); resolve(); };
      const timer = setTimeout(done, timeout * 1000);
      newsEvents.forEach((e) => srv.on(e, done));
      req.on('close', done);
    });
    list = pending();
  }
  if (!res.writableEnded) ok(res, list.map((u) => TelegramServer.formatUpdate(u)));
});

front.all('/bot:token/sendMessage', (req, res) => {
  const flood = floods[req.params.token];
  if (flood && flood.count > 0) {
    flood.count--;
    flood.refused++;
    return res.status(429).json({ ok: false, error_code: 429, description: `Too Many Requests: retry after ${flood.retryAfter}`, parameters: { retry_after: flood.retryAfter } });
  }
  const body = params(req);
  const sent = srv.addBotMessage(body, req.params.token);
  const chatId = Number(body.chat_id);
  const chat = chatId > 0 ? { id: chatId, type: 'private', first_name: 'User' } : { id: chatId, type: 'supergroup', title: 'Group' };
  const result = { message_id: sent.message_id, date: Math.floor(Date.now() / 1000), chat, from: BOT, text: String(body.text || '') };
  if (sent.reply_markup) result.reply_markup = sent.reply_markup;
  ok(res, result);
});

front.all('/bot:token/setWebhook', (req, res) => {
  const p = params(req);
  webhooks[req.params.token] = { url: p.url, secret: p.secret_token };
  ok(res, true);
});
front.all('/bot:token/deleteWebhook', (req, res) => { delete webhooks[req.params.token]; ok(res, true); });
front.all('/bot:token/getWebhookInfo', (req, res) => {
  const hook = webhooks[req.params.token];
  ok(res, { url: hook ? hook.url : '', has_custom_certificate: false, pending_update_count: 0 });
});
const menus = {}; // token -> language_code ('' for the default) -> commands
front.all('/bot:token/setMyCommands', (req, res) => {
  const p = params(req);
  const commands = typeof p.commands === 'string' ? JSON.parse(p.commands) : p.commands;
  menus[req.params.token] = Object.assign(menus[req.params.token] || {}, { [p.language_code || '']: commands });
  ok(res, true);
});
front.post('/_kanava/commands', (req, res) => ok(res, menus[params(req).token] || {}));
for (const m of ['sendChatAction', 'answerCallbackQuery']) {
  front.all(`/bot:token/${m}`, (_req, res) => ok(res, true));
}

front.post('/_kanava/flood', (req, res) => {
  const p = params(req);
  const flood = { count: Number(p.count || 0), retryAfter: Number(p.retry_after || 1), refused: 0 };
  floods[p.token] = flood;
  ok(res, flood);
});
front.post('/_kanava/flood/state', (req, res) => ok(res, floods[params(req).token] || null));

// Everything else (the client API: /sendMessage, /sendCallback, /getUpdates, …) is the emulator's.
front.use(srv.webServer);

const server = http.createServer(front);
server.listen(port, '127.0.0.1', () => {
  srv.started = true;
  process.stdout.write(`listening http://127.0.0.1:${server.address().port}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
