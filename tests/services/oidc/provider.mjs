// A real OpenID provider (oidc-provider) for wbserver's SSO tests. Loopback only.
// Environment: PORT, ISSUER_HOST, REDIRECT_URIS and POST_LOGOUT_URIS (comma-separated), GROUPS (claim
// values given to every account), ID_TOKEN_TTL (seconds).
import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 9310);
// ISSUER_HOST=localhost makes the provider another site than a server on 127.0.0.1 (for the
// browser's SameSite rules); it still listens on 127.0.0.1 only.
const issuer = `http://${process.env.ISSUER_HOST || '127.0.0.1'}:${port}`;
const redirectUris = (process.env.REDIRECT_URIS || '').split(',').filter(Boolean);
const postLogoutUris = (process.env.POST_LOGOUT_URIS || '').split(',').filter(Boolean);
const groups = (process.env.GROUPS || '').split(',').filter(Boolean);
const common = {
  redirect_uris: redirectUris,
  post_logout_redirect_uris: postLogoutUris,
  grant_types: ['authorization_code'],
  response_types: ['code'],
};

const provider = new Provider(issuer, {
  clients: [
    { ...common, client_id: 'wbserver-confidential', client_secret: 'test-only-secret',
      token_endpoint_auth_method: 'client_secret_basic' },
    { ...common, client_id: 'wbserver-public', token_endpoint_auth_method: 'none' },
    { ...common, client_id: 'wbserver-implicit', token_endpoint_auth_method: 'none',
      grant_types: ['implicit'], response_types: ['id_token'], application_type: 'native' },
  ],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username', 'groups'],
  },
  conformIdTokenClaims: false,
  findAccount: async (_ctx, sub) => ({
    accountId: sub,
    claims: async () => ({
      sub, name: sub, preferred_username: sub, email: `${sub}@example.com`,
      email_verified: true, groups,
    }),
  }),
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  ttl: { IdToken: Number(process.env.ID_TOKEN_TTL || 3600), AccessToken: 3600 },
  cookies: { keys: ['wbserver-test-cookies'] },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider ready at ${issuer}`);
});
