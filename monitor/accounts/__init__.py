"""The brand's own accounts on each platform: can our replies be posted there?"""
