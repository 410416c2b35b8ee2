/**
 * The dashboard page (served as GET /). It holds no data and no secret, so it is served without
 * the token; /app.js reads the token from the URL fragment and calls the API with it.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>imessage-gateway</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header class="top">
  <h1>imessage-gateway</h1>
  <span id="connection" class="conn" data-testid="connection">connecting…</span>
  <span id="gateway-meta" class="gateway-meta" data-testid="gateway-meta"></span>
  <span class="spacer"></span>
  <a id="inspector-link" data-testid="inspector-link" target="_blank" rel="noopener noreferrer" hidden>Stately inspector</a>
  <button type="button" id="reload" data-testid="reload">Reload config</button>
</header>
<p id="notice" class="notice" data-testid="notice" hidden></p>
<main id="accounts" data-testid="accounts"></main>
<script src="/app.js"></script>
</body>
</html>
`;
