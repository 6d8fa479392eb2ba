"""Ad spend connectors: Google Ads (searchStream) and Meta (insights), campaign x day,
into ``raw_google_ads`` / ``raw_meta_ads``."""
