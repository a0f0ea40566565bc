# Cloud resources for patron on DigitalOcean, with DNS at Cloudflare. The in-cluster Helm
# releases live in ../releases, a separate configuration with its own state: a Kubernetes
# provider configured from a cluster created in the same run is unreliable, and keeping the
# two apart lets the application be redeployed without touching the database or the cluster.

terraform {
  # cross-variable validations need 1.9; the S3 backend's `endpoints` block needs 1.6
  required_version = ">= 1.9.0"

  required_providers {
    digitalocean = {
      source  = "digitalocean/digitalocean"
      version = "~> 2.99"
    }
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = "~> 5.22"
    }
  }

  # Remote state in a Spaces bucket (S3-compatible). Settings come from a file that is not
  # committed: terraform init -backend-config=backend.hcl (see backend.hcl.example).
  # Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment.
  backend "s3" {}
}

# Reads DIGITALOCEAN_TOKEN, SPACES_ACCESS_KEY_ID and SPACES_SECRET_ACCESS_KEY from the
# environment; no credential is ever written into a file of this configuration.
provider "digitalocean" {}

# Reads CLOUDFLARE_API_TOKEN (a token limited to DNS edits of one zone) from the environment.
provider "cloudflare" {}
