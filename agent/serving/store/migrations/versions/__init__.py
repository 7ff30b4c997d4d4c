"""One module per schema version, in order: 0001 the SQLite store of before the migrations, 0002 job leases,
0003 images in the database, 0004 job files in the database."""
