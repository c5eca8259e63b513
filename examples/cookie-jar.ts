import type { CookieJar } from "tessera";

// A theme preference beside the session, signed with the app's secrets: a page can trust what it reads.
export function themeHandler(jar: CookieJar) {
  return async (request: Request): Promise<Response> => {
    if (request.method === "POST" && new URL(request.url).pathname === "/theme") {
      const theme = (await request.formData()).get("theme") === "dark" ? "dark" : "light";
      const response = new Response(null, { status: 303, headers: { location: "/" } });
      await jar.write(response, "theme", theme, { signed: true, maxAge: "365d" });
      return response;
    }
    // undefined when missing, changed by hand, or signed for another cookie name
    const theme = (await jar.read(request, "theme", { signed: true })) ?? "light";
    return new Response(`theme: ${theme}`);
  };
}
