# patron's Helm releases in the cluster that ../infrastructure created: first patron-data
# (Redis, unless the infrastructure has a managed Valkey), then patron, both from the charts in
# deploy/helm of this repository. Everything it needs from the infrastructure it reads from
# that configuration's remote state.

terraform {
  required_version = ">= 1.9.0"

  required_providers {
    digitalocean = {
      source  = "digitalocean/digitalocean"
      version = "~> 2.99"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "~> 3.1"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
  }

  # its own state, next to the infrastructure's: terraform init -backend-config=backend.hcl
  backend "s3" {}
}

# DIGITALOCEAN_TOKEN from the environment; used only to read the cluster's credentials.
provider "digitalocean" {}

data "terraform_remote_state" "infrastructure" {
  backend = "s3"

  config = {
    bucket = var.state_bucket
    key    = var.infrastructure_state_key
    endpoints = {
      s3 = var.state_endpoint
    }
    region                      = "us-east-1"
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
    skip_s3_checksum            = true
  }
}

# Read on every run, so the short-lived token the cluster hands out is always fresh.
data "digitalocean_kubernetes_cluster" "main" {
  name = data.terraform_remote_state.infrastructure.outputs.cluster_name
}

provider "helm" {
  kubernetes = {
    host  = data.digitalocean_kubernetes_cluster.main.endpoint
    token = data.digitalocean_kubernetes_cluster.main.kube_config[0].token
    cluster_ca_certificate = base64decode(
      data.digitalocean_kubernetes_cluster.main.kube_config[0].cluster_ca_certificate
    )
  }
}
