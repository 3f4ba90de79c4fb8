"""Standard-library helpers to drive headless Chromium and read its PNG screenshots."""
