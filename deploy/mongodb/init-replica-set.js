// Initiates the three-member replica set on first start; a no-op once it exists (mongosh --file).
try {
  rs.status();
  print("replica set cadre already initiated");
} catch (e) {
  rs.initiate({
    _id: "cadre",
    members: [
      { _id: 0, host: "mongo1:27017", priority: 2 },
      { _id: 1, host: "mongo2:27017", priority: 1 },
      { _id: 2, host: "mongo3:27017", priority: 1 },
    ],
  });
  print("replica set cadre initiated");
}
