# The bucket for uploads and media (PATRON_STORAGE_URL=s3://...). Private: patron hands out
# presigned addresses for gated files and serves public ones itself.
resource "digitalocean_spaces_bucket" "media" {
  name   = var.bucket_name
  region = var.spaces_region
  acl    = "private"

  # an object deleted or overwritten by mistake can be brought back for a while
  versioning {
    enabled = true
  }

  lifecycle_rule {
    id      = "old-versions-and-unfinished-uploads"
    enabled = true
    # patron aborts the multipart uploads it gives up on; this catches those of a killed pod
    abort_incomplete_multipart_upload_days = 1

    # old versions must not live long: patron deletes an uploaded original once its
    # metadata-free renditions exist, and a kept version would keep the GPS position
    noncurrent_version_expiration {
      days = var.noncurrent_version_days
    }
  }

  lifecycle {
    prevent_destroy = true
  }
}

# Browsers PUT large videos straight to the bucket with presigned addresses (direct uploads)
# and GET media by presigned addresses; only the site's own origin may do so.
resource "digitalocean_spaces_bucket_cors_configuration" "media" {
  bucket = digitalocean_spaces_bucket.media.id
  region = digitalocean_spaces_bucket.media.region

  cors_rule {
    id              = "site"
    allowed_methods = ["GET", "HEAD", "PUT"]
    allowed_origins = ["https://${var.site_host}"]
    allowed_headers = ["*"]
    expose_headers  = ["ETag"]
    max_age_seconds = 3600
  }
}

# patron's own key, limited to its bucket (the key Terraform runs with has wider rights).
resource "digitalocean_spaces_key" "patron" {
  name = "${var.name}-media"

  grant {
    bucket     = digitalocean_spaces_bucket.media.name
    permission = "readwrite"
  }
}
