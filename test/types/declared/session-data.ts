// The one declaration of an app's session data, as README's "Typing" section shows it.

export interface Cart {
  items: { sku: string; quantity: number }[];
}

declare module "tessera" {
  interface TesseraSessionData {
    username?: string;
    views?: number;
    cart?: Cart;
    passport?: { user?: string };
  }
}
