"""Real-browser tests: the app served by uvicorn, driven by Debian's Chromium (Playwright)."""
