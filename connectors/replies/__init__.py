"""Publishers: post the brand's reply on each platform (one module per platform)."""
