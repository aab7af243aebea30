"""Browser pages: sign-in, user settings, /system-admin. Server-rendered, no external assets."""
