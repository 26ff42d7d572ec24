// A third-party OpenID provider for the app to log in and out against: `oidc-provider` (npm,
// a certified OP) on a free loopback port, with its development log-in and consent pages (any
// login is an account whose subject it is). Prints {"issuer": ...} once it listens; runs until
// stdin closes.
//
// Environment: CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, POST_LOGOUT_REDIRECT_URI, EMAIL (the
// address of every account).

import { createServer } from "node:http";
import Provider from "oidc-provider";

const env = process.env;
const server = createServer();
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: env.CLIENT_ID,
      client_secret: env.CLIENT_SECRET,
      redirect_uris: [env.REDIRECT_URI],
      post_logout_redirect_uris: [env.POST_LOGOUT_REDIRECT_URI],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  claims: { openid: ["sub"], email: ["email", "email_verified"] },
  async findAccount(ctx, id) {
    return { accountId: id, claims: async () => ({ sub: id, email: env.EMAIL, email_verified: true }) };
  },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ["third-party-provider-test-key"] },
});
server.on("request", provider.callback());
console.log(JSON.stringify({ issuer }));
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
