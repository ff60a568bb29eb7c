"""What every app shares and none owns: count-free and keyset pagination,
approximate counts, absolute URLs on SITE_URL, text cleaning, the site's name
for templates. Imports no other app."""
