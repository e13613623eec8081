// Starts offline-directline (a local Direct Line emulator) on 127.0.0.1, forwarding to the bot
// at argv[3], prints "listening http://127.0.0.1:PORT" and runs until its stdin closes.
//
// Its CLI listens on every interface, so this launcher mounts its router itself, bound to
// loopback. Nothing of its behaviour is changed: it still sends no Authorization header, leaves
// `recipient` and `timestamp` out of activities, announces a new conversation with an empty
// `membersAdded`, and answers the bot's replies with 200 and an empty body.
'use strict';
// Only the first stdout line is read by the tests; the emulators' chatter would fill the pipe.
console.log = () => {};
const http = require('http');
const express = require('express');
const directline = require('offline-directline');

const port = Number(process.argv[2] || 0);
const botUrl = process.argv[3];
if (!botUrl) {
  process.stderr.write('usage: node directline.js PORT BOT_URL\n');
  process.exit(2);
}
const app = express();
const server = http.createServer(app);
server.listen(port, '127.0.0.1', () => {
  const serviceUrl = `http://127.0.0.1:${server.address().port}`;
  app.use(directline.getRouter(serviceUrl, botUrl));
  process.stdout.write(`listening ${serviceUrl}\n`);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
