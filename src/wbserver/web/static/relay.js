// Posts the identity provider's answer again from this site's own page (oidc_relay.html), so
// that the browser sends the SameSite=Lax cookie that binds the sign-in to it.
document.getElementById("relay-form").submit();
