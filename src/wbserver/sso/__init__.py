"""Single sign-on with OpenID Connect: provider configuration, discovery, token checks."""
