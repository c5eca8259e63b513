// req.session under Express, typed from TesseraSessionData, with @types/express-session installed beside it.
// Each `@ts-expect-error` names the error code `test/types.test.ts` checks the line fails with.

import "express-session";
import express from "express";
import { createSessions } from "tessera";
import { expressSessions } from "tessera/express";
import "./session-data.js";

const sessions = createSessions({ secrets: ["an example secret that is 32 bytes or longer"] });
const app = express();
app.use(expressSessions(sessions));

app.get("/", (req, res) => {
  const name: string | undefined = req.session.username;
  req.session.views = (req.session.views ?? 0) + 1;
  req.session.cart?.items.push({ sku: "apple", quantity: 1 }); // a working copy: changes in place are saved
  const frozen = req.session.get("cart"); // the frozen value
  const first: string | undefined = frozen?.items[0]?.sku;
  const id: string = req.sessionID;
  req.session.cookie.maxAge = 30 * 24 * 3600 * 1000; // remember me
  req.session.cookie.expires = false; // or: a browser-session cookie
  const left: number | undefined = req.session.cookie.maxAge;
  req.session.touch().reload(() => {});
  req.session.regenerate((error) => {
    if (error) res.sendStatus(500);
  });
  // @ts-expect-error TS2339 a key the app never declared
  req.session.colour = "red";
  // @ts-expect-error TS2322 a declared key with the wrong type
  req.session.views = "many";
  // @ts-expect-error TS2345 a key the app never declared, through the tessera API
  req.session.set("colour", "red");
  // @ts-expect-error TS2345 a declared key with the wrong type, through the tessera API
  req.session.set("views", "many");
  // @ts-expect-error TS2339 values read with get are frozen: no push
  req.session.get("cart")?.items.push({ sku: "pear", quantity: 1 });
  // @ts-expect-error TS2540 values read with get are frozen: no assignment
  if (frozen) frozen.items = [];
  res.send(`${name} ${first} ${id} ${left}`);
});
