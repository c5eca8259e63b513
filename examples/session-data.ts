// The session data of the Express and Fastify examples, declared once for the whole app: req.session and
// request.session are typed from it (README, "Typing").

declare module "tessera" {
  interface TesseraSessionData {
    views?: number;
    username?: string;
  }
}

export {};
