"""The paper exchange: an Alpaca-compatible HTTP server with deterministic prices.

Rule: never imports alchemiser.operator, alchemiser.worker or alpaca; only the
server, the embedded runner and the CLI touch aiohttp (import contracts).

Modules, from pure to effectful:
- calendar: NYSE sessions (exchange-calendars, loaded once); clock look-ups.
- prices: seeded random walk per symbol, Brownian-bridge minutes; history: CSV bars.
- marketdata: bars by timeframe, completed-only, paginated; latest and snapshot data.
- assets, orders: the universe and Alpaca's order rules (Refusal carries status/body).
- records, book: cash, positions, orders, matching and fills; store: memory or SQLite.
- faults: the fault spec and seeded draws; ratelimit: the per-minute window;
  wire: Alpaca's JSON shapes.
- exchange: the state behind one key pair; server: the aiohttp app, auth and faults;
  handling: shared HTTP helpers; trading_routes, data_routes, admin_routes: handlers.
- embedded: the server in a background thread; cli: `alchemiser sim`.
"""
