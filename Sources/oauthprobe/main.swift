print("oauthprobe: placeholder")
