// Stands in for Velo's Secrets Manager when a generated backend/events.js runs in Node:
// the secret named NAME is read from the environment variable WIX_SECRET_<NAME>.
export async function getSecret(name) {
  return process.env[`WIX_SECRET_${name}`];
}
