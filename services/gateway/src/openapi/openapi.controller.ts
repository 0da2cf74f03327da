import { Controller, Get } from '@nestjs/common';
import { buildOpenApiDocument } from './openapi.document';

@Controller('v1')
export class OpenApiController {
  private readonly document = buildOpenApiDocument();

  /** The API description, public like any OpenAPI document. */
  @Get('openapi.json')
  openapi() {
    return this.document;
  }
}
